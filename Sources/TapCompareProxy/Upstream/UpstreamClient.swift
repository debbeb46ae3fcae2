import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCore
import TapCompareMirroring

/// Whole requests sent to one upstream from outside the proxy (`tapcompare replay` over HTTP/2), through the proxy's
/// own ``UpstreamPool``: the same HTTP/2 connections (h2c with prior knowledge, or h2 over TLS offered by ALPN), the
/// same respect for the server's SETTINGS_MAX_CONCURRENT_STREAMS and GOAWAY, the same idle close and timeouts as
/// `serve`'s calls to its upstreams, so replay and serve cannot disagree on how an upstream is spoken to.
///
/// Each call is a value in, a ``CandidateResult`` out: failures, timeouts and oversized answers are results, never
/// thrown. Cancelling the calling task abandons the call (its stream is reset) at once.
public final class UpstreamClient: Sendable {
    /// How the client reaches its upstream. Every bound is explicit.
    public struct Configuration: Sendable {
        /// The upstream, e.g. `h2c://127.0.0.1:50051` or `https://…` with ``UpstreamURL/httpVersion`` `.http2`.
        public var target: UpstreamURL
        /// How an `https://` target's certificate is checked. Default: against the system trust store.
        public var tls: UpstreamTLS
        /// Connections to the upstream at most (HTTP/2: each multiplexes up to the server's stream limit; calls beyond
        /// every connection's limit wait for a stream). Default 4.
        public var maxConnections: Int
        /// How long connecting may take, TLS handshake and the server's first SETTINGS included. Default 2 s.
        public var connectTimeout: Duration
        /// How long one call may take from its start to its last trailer. Default 5 s.
        public var timeout: Duration
        /// How long a connection without calls stays open. Default 30 s.
        public var idleTimeout: Duration
        /// The largest response body kept; a larger answer is abandoned and reported as
        /// ``SkipReason/responseTooLarge``. Default 16 MiB.
        public var maxResponseBodyBytes: Int

        public init(
            target: UpstreamURL,
            tls: UpstreamTLS = UpstreamTLS(),
            maxConnections: Int = 4,
            connectTimeout: Duration = .seconds(2),
            timeout: Duration = .seconds(5),
            idleTimeout: Duration = .seconds(30),
            maxResponseBodyBytes: Int = 16 << 20
        ) {
            self.target = target
            self.tls = tls
            self.maxConnections = maxConnections
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.idleTimeout = idleTimeout
            self.maxResponseBodyBytes = maxResponseBodyBytes
        }
    }

    public let configuration: Configuration
    private let eventLoop: any EventLoop
    private let pool: NIOLoopBoundBox<UpstreamPool>

    /// - Parameter eventLoop: the loop every call runs on. Default: one of NIO's shared loops.
    /// - Throws: ``TLSFileError`` when an `https://` target's CA file cannot be read or used.
    public init(configuration: Configuration, eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) throws(TLSFileError) {
        let tls = try configuration.target.usesTLS ? configuration.tls.makeClientContext(httpVersion: configuration.target.httpVersion) : nil
        self.configuration = configuration
        self.eventLoop = eventLoop
        let pool = UpstreamPool(
            eventLoop: eventLoop,
            target: configuration.target,
            maxIdle: max(1, configuration.maxConnections),
            idleTimeout: TimeAmount(configuration.idleTimeout),
            connectTimeout: TimeAmount(configuration.connectTimeout),
            readTimeout: TimeAmount(configuration.timeout),
            writeTimeout: TimeAmount(configuration.timeout),
            tls: tls
        )
        self.pool = NIOLoopBoundBox.makeBoxSendingValue(pool, eventLoop: eventLoop)
    }

    /// Sends one request and collects the answer: status, headers, body and trailers.
    /// - Parameters:
    ///   - head: the request head; its target is put after the upstream's base path here.
    ///   - body: the whole body, sent as is (gRPC's length-prefixed frames byte for byte).
    ///   - trailers: trailers sent after the body, `nil` for none.
    public func send(_ head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders?) async -> CandidateResult {
        if Task.isCancelled { return .failed(reason: UpstreamError.cancelled.description, latency: .zero) }
        var outgoing = head
        outgoing.uri = self.configuration.target.target(for: head.uri)
        let head = outgoing
        let promise = self.eventLoop.makePromise(of: CandidateResult.self)
        let call = NIOLoopBoundBox.makeEmptyBox(valueType: UpstreamClientCall.self, eventLoop: self.eventLoop)
        let pool = self.pool
        let configuration = self.configuration
        return await withTaskCancellationHandler {
            self.eventLoop.execute {
                let started = UpstreamClientCall(
                    head: head, body: body, trailers: trailers, timeout: TimeAmount(configuration.timeout),
                    maxResponseBodyBytes: configuration.maxResponseBodyBytes, promise: promise
                )
                call.value = started
                started.start(pool: pool.value)
            }
            // The promise is always completed: by the answer, a failure, the timeout or the cancellation.
            return (try? await promise.futureResult.get()) ?? .failed(reason: UpstreamError.cancelled.description, latency: .zero)
        } onCancel: {
            // Runs after the start above (one loop, tasks in order), so the call exists when it is cancelled.
            self.eventLoop.execute { call.value?.cancel() }
        }
    }

    /// Refuses new calls and closes every connection, waiting until they are closed. Call it once every call has
    /// returned: a stream still closing (its call abandoned by a timeout or a cancellation) is closed with its
    /// connection here.
    ///
    /// - Warning: required before the client is released: the pool's connections refer to it (unowned, as in the
    ///   proxy, whose pools live as long as it runs), so it must outlive every one of them.
    public func shutdown() async {
        let pool = self.pool
        let eventLoop = self.eventLoop
        let closed = eventLoop.flatSubmit {
            let pool = pool.value
            pool.shutdown()
            let channels = pool.http2Connections.map(\.channel)
            for channel in channels { channel.close(promise: nil) }
            return EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: eventLoop)
        }
        try? await closed.get()
        // One more turn of the loop: what the connections' closes scheduled (their streams' ends, which report to
        // the pool) runs before the pool can be released.
        try? await eventLoop.submit { _ = pool.value.isShutDown }.get()
    }
}
