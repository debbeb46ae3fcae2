import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareMirroring

/// One mirrored request to the candidate: sends the buffered request, keeps the response up to the
/// comparison cap, and reports exactly one ``CandidateResult`` to its ``PendingExchange``.
///
/// Nothing here can touch the client: the call starts after the client's request was fully read, runs on its
/// own connection from a separate pool, and its only output is the exchange. Its in-flight slot is released
/// exactly once, when the result is reported.
final class CandidateCall: UpstreamResponseReceiver, UpstreamLeaseReceiver, SharedTimeoutMember {
    private let loop: LoopContext
    private let exchange: PendingExchange
    private let routeMetrics: RouteMetrics
    private let head: HTTPRequestHead
    private let body: ByteBuffer
    /// The client's request trailers (a gRPC client's, say), sent after the body as legacy got them.
    private let trailers: HTTPHeaders?
    private let start: NIODeadline
    private var connection: UpstreamConnection?
    private var responseHead: HTTPResponseHead?
    private var responseBody: ByteBuffer
    private var responseLength = 0
    private var isDone = false

    // MARK: Waiting for `mirror.timeout` in the loop's ``LoopContext/candidateDeadlines`` (set by it)

    /// When `mirror.timeout` ends the call.
    var deadline = NIODeadline.distantFuture
    var isWaiting = false
    /// The next call started on this loop after this one (the list holds it).
    var newerWaiting: CandidateCall?
    /// The one started before, held by the list through its own `newerWaiting`.
    unowned(unsafe) var olderWaiting: CandidateCall?

    init(
        loop: LoopContext, exchange: PendingExchange, routeMetrics: RouteMetrics, head: HTTPRequestHead, body: ByteBuffer,
        trailers: HTTPHeaders?
    ) {
        self.loop = loop
        self.exchange = exchange
        self.routeMetrics = routeMetrics
        self.head = head
        self.body = body
        self.trailers = trailers
        self.start = .now()
        self.responseBody = ByteBuffer()
    }

    /// Starts the call; the caller has taken an in-flight slot.
    func start(pool: UpstreamPool) {
        self.loop.shared.metrics.candidateInFlight.increment()
        self.routeMetrics.mirrored.increment()
        self.loop.candidateDeadlines.add(self)
        pool.acquire(for: self, token: 0)
    }

    /// The connection for the request (``UpstreamPool/acquire(for:token:)``): the whole request is written at once.
    func upstreamLeased(_ result: Result<UpstreamConnection, UpstreamError>, token: Int) {
        switch result {
        case .success(let connection):
            // Timed out while connecting: the connection goes back unused.
            guard !self.isDone else {
                connection.release()
                return
            }
            self.connection = connection
            connection.send(self.head, body: self.body, trailers: self.trailers, receiver: self)
        case .failure(let error):
            self.failed(error)
        }
    }

    /// `mirror.timeout` passed: the call is abandoned and reported timed out.
    func expired() {
        guard !self.isDone else { return }
        self.connection?.handler.abandon()
        self.connection = nil
        self.routeMetrics.candidateTimeouts.increment()
        self.finish(.timedOut(after: .nanoseconds(self.elapsedNanoseconds)))
    }

    private var elapsedNanoseconds: Int64 { (NIODeadline.now() - self.start).nanoseconds }
    private var latency: Duration { .nanoseconds(self.elapsedNanoseconds) }

    private func failed(_ error: UpstreamError) {
        guard !self.isDone else { return }
        self.connection = nil
        self.loop.shared.metrics.upstreamError(error, side: .candidate)
        if error.isTimeout {
            self.routeMetrics.candidateTimeouts.increment()
            self.finish(.timedOut(after: self.latency))
        } else {
            self.routeMetrics.candidateErrors.increment()
            self.loop.shared.logger.debug(
                "candidate call failed",
                metadata: ["request.id": "\(self.exchange.requestID)", "error": "\(error.debugDescription)"]
            )
            self.finish(.failed(reason: error.description, latency: self.latency))
        }
    }

    private func finish(_ result: CandidateResult) {
        guard !self.isDone else { return }
        self.isDone = true
        self.loop.candidateDeadlines.remove(self)
        self.loop.shared.limiter.release()
        self.loop.shared.metrics.candidateInFlight.decrement()
        self.exchange.candidateCompleted(result)
    }

    // MARK: UpstreamResponseReceiver

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        // Informational heads are not the answer; only the final head is kept.
        if head.status.code >= 100 && head.status.code < 200 { return }
        self.responseHead = head
    }

    func upstreamResponseBodyPart(_ buffer: ByteBuffer) {
        self.responseLength += buffer.readableBytes
        let room = self.loop.shared.mirror.maxResponseBodyBytes - self.responseBody.readableBytes
        if room > 0 {
            var buffer = buffer
            if buffer.readableBytes > room { buffer = buffer.getSlice(at: buffer.readerIndex, length: room)! }
            MirrorCapture.keep(buffer, in: &self.responseBody)
        }
    }

    func upstreamResponseEnd(trailers: HTTPHeaders?) {
        self.connection = nil
        guard !self.isDone, let head = self.responseHead else { return }
        let nanoseconds = self.elapsedNanoseconds
        let latency = Duration.nanoseconds(nanoseconds)
        self.routeMetrics.candidateLatency.recordNanoseconds(nanoseconds)
        if self.responseLength > self.loop.shared.mirror.maxResponseBodyBytes {
            self.finish(.skipped(.responseTooLarge))
            return
        }
        var headers = head.headers
        HopByHopHeaders.strip(&headers)
        let snapshot = ResponseSnapshot(
            status: head.status,
            version: head.version,
            headers: headers,
            body: self.responseBody,
            bodyLength: self.responseLength,
            trailers: trailers.map(ResponseTrailers.fields) ?? []
        )
        self.finish(.response(snapshot, latency: latency))
    }

    func upstreamReadComplete() {}

    func upstreamFailed(_ error: UpstreamError, responseStarted: Bool) {
        self.failed(error)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        // The request is at most `mirror.max_body_bytes` and already in memory; nothing to hold back.
    }
}
