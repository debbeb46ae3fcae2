import NIOCore
import NIOHTTP1
import TapCompareCore

/// One call of an ``UpstreamClient``: writes the whole request (head, body, trailers), keeps the answer up to its
/// cap, and completes its promise exactly once: with the response, a failure, ``SkipReason/responseTooLarge``, the
/// timeout, or the cancellation.
///
/// Loop-confined: every method runs on the pool's event loop.
final class UpstreamClientCall: UpstreamResponseReceiver {
    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let trailers: HTTPHeaders?
    private let timeout: TimeAmount
    private let maxResponseBodyBytes: Int
    private let promise: EventLoopPromise<CandidateResult>
    private let start = NIODeadline.now()
    private var connection: UpstreamConnection?
    private var timeoutTask: Scheduled<Void>?
    private var responseHead: HTTPResponseHead?
    private var responseBody = ByteBuffer()
    private var isDone = false

    init(
        head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders?, timeout: TimeAmount, maxResponseBodyBytes: Int,
        promise: EventLoopPromise<CandidateResult>
    ) {
        self.head = head
        self.body = body
        self.trailers = trailers
        self.timeout = timeout
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.promise = promise
    }

    private var latency: Duration { .nanoseconds((NIODeadline.now() - self.start).nanoseconds) }

    func start(pool: UpstreamPool) {
        // The whole call, waiting for a stream included, is bounded by one deadline.
        self.timeoutTask = pool.eventLoop.assumeIsolated().scheduleTask(in: self.timeout) { [self] in
            self.timeoutTask = nil
            self.abandon(.timedOut(after: self.latency))
        }
        pool.send(
            self.head, body: self.body, trailers: self.trailers, to: self,
            ended: { [self] in self.isDone }, connected: { [self] in self.connection = $0 }, failed: { [self] in self.failed($0) }
        )
    }

    /// The calling task was cancelled: the stream is reset and the call reported as cancelled.
    func cancel() {
        self.abandon(.failed(reason: UpstreamError.cancelled.description, latency: self.latency))
    }

    /// Ends the call before its answer is complete (timeout, cancellation, oversized answer): its connection (for
    /// HTTP/2, its stream) is closed, since the rest of the answer would arrive for no one.
    private func abandon(_ result: CandidateResult) {
        guard !self.isDone else { return }
        self.connection?.handler.abandon()
        self.connection = nil
        self.finish(result)
    }

    private func failed(_ error: UpstreamError) {
        self.connection = nil
        self.finish(error.isTimeout ? .timedOut(after: self.latency) : .failed(reason: error.description, latency: self.latency))
    }

    private func finish(_ result: CandidateResult) {
        guard !self.isDone else { return }
        self.isDone = true
        self.timeoutTask?.cancel()
        self.timeoutTask = nil
        self.promise.succeed(result)
    }

    // MARK: UpstreamResponseReceiver

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        // Informational heads are not the answer; only the final head is kept.
        if head.status.code >= 100 && head.status.code < 200 { return }
        self.responseHead = head
    }

    func upstreamResponseBodyPart(_ buffer: ByteBuffer) {
        guard self.responseBody.readableBytes + buffer.readableBytes <= self.maxResponseBodyBytes else {
            self.responseBody = ByteBuffer()
            self.abandon(.skipped(.responseTooLarge))
            return
        }
        var buffer = buffer
        self.responseBody.writeBuffer(&buffer)
    }

    func upstreamResponseEnd(trailers: HTTPHeaders?) {
        self.connection = nil
        guard let head = self.responseHead else {
            self.finish(.failed(reason: UpstreamError.invalidResponse.description, latency: self.latency))
            return
        }
        var headers = head.headers
        HopByHopHeaders.strip(&headers)
        let snapshot = ResponseSnapshot(
            status: head.status, version: head.version, headers: headers, body: self.responseBody,
            trailers: trailers.map(ResponseTrailers.fields) ?? []
        )
        self.finish(.response(snapshot, latency: self.latency))
    }

    func upstreamReadComplete() {}

    func upstreamFailed(_ error: UpstreamError, responseStarted: Bool) {
        self.failed(error)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        // The request is already in memory and written at once; nothing to hold back.
    }
}
