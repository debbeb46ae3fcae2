import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// One TCP connection to a key-value store that sends requests in order and takes replies in the same order
/// (pipelining), with a deadline on every call. Redis and Memcached both work this way, so both clients are this
/// connection with their own encoder and decoder.
///
/// A call that times out closes the connection: a reply arriving later would be taken for the next call's.
final class PipelinedConnection<Request: Sendable, Response: Sendable>: Sendable {
    let channel: any Channel
    /// `host:port`, for messages.
    let endpoint: String
    let callTimeout: Duration
    /// Set when a call timed out: the connection is being closed, and no later call may wait on it (a late reply
    /// would be taken for that call's).
    private let broken = Atomic<Bool>(false)

    private init(channel: any Channel, endpoint: String, callTimeout: Duration) {
        self.channel = channel
        self.endpoint = endpoint
        self.callTimeout = callTimeout
    }

    /// Connects and installs `handlers` (decoder, encoder) in front of the request-response matcher.
    /// - Throws: ``StoreClientError/connectFailed(_:underlying:)``.
    static func connect(
        host: String,
        port: Int,
        connectTimeout: Duration,
        callTimeout: Duration,
        group: any EventLoopGroup,
        handlers: @escaping @Sendable () -> [any ChannelHandler]
    ) async throws(StoreClientError) -> PipelinedConnection {
        let endpoint = "\(host):\(port)"
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(handlers())
                        try channel.pipeline.syncOperations.addHandler(RequestResponseHandler<Request, Response>())
                    }
                }
                .connect(host: host, port: port).get()
            return PipelinedConnection(channel: channel, endpoint: endpoint, callTimeout: callTimeout)
        } catch {
            throw .connectFailed(endpoint, underlying: error)
        }
    }

    /// Sends `request` and waits for its reply, at most ``callTimeout``.
    func call(_ request: Request, name: String) async throws(StoreClientError) -> Response {
        guard !self.broken.load(ordering: .acquiring) else { throw .closed(self.endpoint) }
        let promise = self.channel.eventLoop.makePromise(of: Response.self)
        let timeout = self.callTimeout
        let channel = self.channel
        let endpoint = self.endpoint
        let deadline = self.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [self] in
            self.broken.store(true, ordering: .releasing)
            promise.fail(StoreClientError.timeout("\(name) to \(endpoint)", after: timeout))
            channel.close(promise: nil)
        }
        // Cancelled on the event loop the moment the reply completes the call, not when the waiting task resumes:
        // on a busy machine that task can resume after the deadline, which would then close a connection whose
        // call had succeeded (and fail the next call as `closed`).
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        self.channel.writeAndFlush((request, promise)).whenFailure { error in promise.fail(error) }
        do {
            return try await promise.futureResult.get()
        } catch let error as StoreClientError {
            throw error
        } catch is NIOExtrasErrors.ClosedBeforeReceivingResponse {
            throw .closed(endpoint)
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .alreadyClosed || error == .eof {
            throw .closed(endpoint)
        } catch {
            // A decoder error (the handler closes the channel) or a socket error.
            if let decoding = error as? StoreClientError { throw decoding }
            throw .protocolViolation("\(endpoint): \(error)")
        }
    }

    func close() async {
        try? await self.channel.close()
    }
}
