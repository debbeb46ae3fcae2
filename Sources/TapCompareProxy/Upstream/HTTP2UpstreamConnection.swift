import NIOCore
import NIOHTTP1
import NIOHTTP2

/// One multiplexed HTTP/2 connection to an upstream, owned by the ``UpstreamPool`` of its event loop: each call is
/// a stream on it, wrapped as an ``UpstreamConnection`` whose channel is the stream's child channel (with
/// `HTTP2FramePayloadToHTTP1ClientCodec` in front of the same ``UpstreamConnectionHandler`` HTTP/1.1 calls use, so
/// timeouts, backpressure and failures are handled in one place).
///
/// It takes no more streams than the server's SETTINGS_MAX_CONCURRENT_STREAMS, none after the server's GOAWAY
/// (streams in progress finish), and it is closed after the pool's idle timeout without streams.
///
/// Loop-confined: every method must be called on the pool's event loop.
final class HTTP2UpstreamConnection {
    /// Streams assumed allowed until the server's first SETTINGS frame says otherwise (RFC 9113 recommends that a
    /// server allow at least 100).
    static let assumedMaxConcurrentStreams = 100

    let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private unowned let pool: UpstreamPool
    private(set) var activeStreams = 0
    /// Streams ever opened: a stream after the first is "reused" (see ``UpstreamConnection/reused``), so a bodiless
    /// safe request refused by a connection the server is leaving is retried once on a fresh one.
    private var streamsOpened = 0
    private(set) var maxConcurrentStreams = HTTP2UpstreamConnection.assumedMaxConcurrentStreams
    /// The server's first SETTINGS frame arrived: its stream limit is known and streams may be opened.
    private(set) var isReady = false
    private(set) var isGoingAway = false
    private(set) var isClosed = false
    private var idleTimer: Scheduled<Void>?

    init(channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer, pool: UpstreamPool) {
        self.channel = channel
        self.multiplexer = multiplexer
        self.pool = pool
    }

    /// Whether another stream may be opened now.
    var hasCapacity: Bool {
        self.isReady && !self.isGoingAway && !self.isClosed && self.activeStreams < self.maxConcurrentStreams
    }

    /// Opens a stream for one call. The callback runs on the event loop once the stream's channel is set up.
    func openStream(
        httpProtocol: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol,
        readTimeout: TimeAmount,
        writeTimeout: TimeAmount,
        _ callback: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void
    ) {
        self.activeStreams += 1
        let reused = self.streamsOpened > 0
        self.streamsOpened += 1
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                let sync = stream.pipeline.syncOperations
                try sync.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: httpProtocol))
                try sync.addHandler(UpstreamConnectionHandler(readTimeout: readTimeout, writeTimeout: writeTimeout))
            }
        }.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let stream):
                do {
                    let handler = try stream.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                    let connection = UpstreamConnection(channel: stream, handler: handler, pool: self.pool, multiplexed: self)
                    if reused { connection.leased() }
                    if !stream.isActive {
                        // It closed before the connection object existed, so `channelClosed` never ran.
                        self.streamClosed()
                        callback(.failure(.closedEarly))
                        return
                    }
                    callback(.success(connection))
                } catch {
                    stream.close(promise: nil)
                    self.streamClosed()
                    callback(.failure(UpstreamError(.closedEarly, underlying: error)))
                }
            case .failure(let error):
                self.streamClosed()
                callback(.failure(UpstreamError(.closedEarly, underlying: error)))
            }
        }
    }

    /// A stream of this connection closed (its call is over).
    func streamClosed() {
        self.activeStreams -= 1
        if self.activeStreams == 0 {
            if self.isGoingAway || self.pool.isShutDown {
                self.close()
                return
            }
            self.armIdleTimer()
        }
        self.pool.http2CapacityFreed()
    }

    // MARK: What the server said (``HTTP2UpstreamConnectionObserver``)

    func settingsReceived(maxConcurrentStreams: Int?) {
        if let maxConcurrentStreams { self.maxConcurrentStreams = maxConcurrentStreams }
        if !self.isReady {
            self.isReady = true
            self.armIdleTimer()
            self.pool.http2ConnectionReady(self)
        } else {
            self.pool.http2CapacityFreed()
        }
    }

    /// GOAWAY: streams in progress the server kept finish; no new stream goes here.
    func goAwayReceived() {
        self.drain()
    }

    /// An error on the connection (NIOHTTP2 has sent the RST_STREAM or GOAWAY it calls for): the stream it concerned
    /// has failed on its own; the others finish (or fail with the connection), and no new stream goes here. One
    /// broken answer does not cut the other calls sharing the connection.
    func errorCaught() {
        self.drain()
    }

    private func drain() {
        self.isGoingAway = true
        if self.activeStreams == 0 { self.close() }
        self.pool.http2CapacityFreed()
    }

    func close() {
        guard !self.isClosed else { return }
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.channel.close(promise: nil)
    }

    /// The socket closed, whoever closed it; `failure` is the error that closed it, if any.
    func channelClosed(failure: (any Error)?) {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.pool.http2ConnectionClosed(self, failure: failure)
    }

    private func armIdleTimer() {
        guard self.idleTimer == nil, self.activeStreams == 0 else { return }
        self.idleTimer = self.channel.eventLoop.assumeIsolated().scheduleTask(in: self.pool.idleTimeout) { [self] in
            self.idleTimer = nil
            if self.activeStreams == 0 { self.close() }
        }
    }
}

/// Sits behind `NIOHTTP2Handler` on an upstream HTTP/2 connection and reports what the server says on the
/// connection itself (stream 0): SETTINGS (its stream limit) and GOAWAY, and the connection's end.
final class HTTP2UpstreamConnectionObserver: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    /// Set once the connection object exists (right after connecting, before any frame is read).
    var connection: HTTP2UpstreamConnection?
    /// The connection failed before it was ready; reported to the pool with the close.
    private(set) var failure: (any Error)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.payload {
        case .settings(.settings(let settings)):
            let limit = settings.last { $0.parameter == .maxConcurrentStreams }.map(\.value)
            self.connection?.settingsReceived(maxConcurrentStreams: limit)
        case .goAway:
            self.connection?.goAwayReceived()
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The server broke HTTP/2, or TLS failed: the connection takes no more streams (see
        // ``HTTP2UpstreamConnection/errorCaught()``).
        if self.failure == nil { self.failure = error }
        if let connection {
            connection.errorCaught()
        } else {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let connection = self.connection
        self.connection = nil
        connection?.channelClosed(failure: self.failure)
        context.fireChannelInactive()
    }
}
