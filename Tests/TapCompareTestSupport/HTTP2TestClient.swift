import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// An HTTP/2 client for tests: one connection (h2c with prior knowledge, or TLS offering only `h2` by ALPN), a
/// stream per request, the whole response collected — headers, body bytes and trailers exactly as received.
public struct HTTP2TestClient: Sendable {
    public struct Response: Sendable {
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var trailers: [(name: String, value: String)]

        public var status: String? { self.header(":status") }
        public func header(_ name: String) -> String? { self.headers.first { $0.name == name }?.value }
        public func trailer(_ name: String) -> String? { self.trailers.first { $0.name == name }?.value }
    }

    public let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private let alpn: NIOLockedValueBox<String?>
    private let settings: NIOLockedValueBox<[HTTP2Setting]>

    /// The SETTINGS the server sent (the last value of each parameter wins).
    public var serverSettings: [HTTP2Setting] { self.settings.withLockedValue { $0 } }

    /// The protocol the TLS handshake agreed on by ALPN (`nil` for h2c, or when the server chose none).
    public var negotiatedProtocol: String? { self.alpn.withLockedValue { $0 } }

    /// Connects, and starts the connection with its preface and SETTINGS.
    /// - Parameters:
    ///   - tls: speak TLS, offering only `h2` by ALPN; h2c with prior knowledge without.
    ///   - streamWindowSize: the flow-control window the client gives the server on each stream
    ///     (SETTINGS_INITIAL_WINDOW_SIZE, and the size the client's WINDOW_UPDATEs keep it at). Default: HTTP/2's
    ///     65,535 bytes, which a response fills long before the sockets between them: with windows of megabytes
    ///     what waits on a slow client is the server's socket, not its windows.
    ///   - connectionWindowSize: the same for the connection's window (the client's WINDOW_UPDATEs on stream 0
    ///     raise it there after the first DATA frame). Default: 65,535 bytes, which bytes held by a stream whose
    ///     reads are paused count against until it reads them.
    ///   - receiveBufferSize: `SO_RCVBUF`, set before connecting (Linux doubles it), so what the client has not read
    ///     stays in the server's socket.
    ///   - bytesPerRead: each socket read takes at most this many bytes. Default: NIO's.
    ///   - readPacer: the socket is read only on this pacer's clock (``ReadPacer``): stream channels, which ask their
    ///     connection for a read after every frame, cannot speed it up.
    public static func connect(
        port: Int, tls: TLSConfiguration? = nil, streamWindowSize: Int? = nil, connectionWindowSize: Int? = nil,
        receiveBufferSize: Int? = nil, bytesPerRead: Int? = nil, readPacer: ReadPacer? = nil
    ) async throws -> HTTP2TestClient {
        let context = try tls.map { configuration -> NIOSSLContext in
            var configuration = configuration
            configuration.applicationProtocols = ["h2"]
            return try NIOSSLContext(configuration: configuration)
        }
        let alpn = NIOLockedValueBox<String?>(nil)
        let settings = NIOLockedValueBox<[HTTP2Setting]>([])
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        var stream = NIOHTTP2Handler.StreamConfiguration()
        if let streamWindowSize {
            connection.initialSettings = connection.initialSettings.filter { $0.parameter != .initialWindowSize }
                + [HTTP2Setting(parameter: .initialWindowSize, value: streamWindowSize)]
            stream.targetWindowSize = streamWindowSize
        }
        if let connectionWindowSize { connection.targetWindowSize = connectionWindowSize }
        let connectionConfiguration = connection
        let streamConfiguration = stream
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TestTiming.localConnectAmount)
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        if let bytesPerRead {
            bootstrap = bootstrap
                .channelOption(.maxMessagesPerRead, value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: bytesPerRead))
        }
        if readPacer != nil {
            bootstrap = bootstrap.channelOption(.autoRead, value: false)
        }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let readPacer { try sync.addHandler(readPacer.makeHandler(eventLoop: channel.eventLoop)) }
                    if let context {
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                        try sync.addHandler(ALPNRecorder(alpn: alpn))
                    }
                    _ = try sync.configureHTTP2Pipeline(mode: .client, connectionConfiguration: connectionConfiguration, streamConfiguration: streamConfiguration) {
                        $0.close()
                    }
                    try sync.addHandler(SettingsRecorder(settings: settings))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let multiplexer = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.get()
        if context != nil {
            // The stream setup waits for nothing; the handshake's outcome is read by the tests.
            _ = await pollUntil { alpn.withLockedValue { $0 } != nil }
        }
        return HTTP2TestClient(channel: channel, multiplexer: multiplexer, alpn: alpn, settings: settings)
    }

    /// Sends one request on a new stream; `body` ends the stream (an empty body ends it with the headers), or
    /// `trailers` do when there are any.
    /// - Parameters:
    ///   - trailers: request trailers, a HEADERS frame ending the stream after the body.
    ///   - endStream: `false` leaves the request open after the headers and body (a client still sending).
    ///   - firstData: succeeded when the first DATA frame of the response arrives (the body is streamed).
    ///   - streamReset: succeeded with the code of a RST_STREAM the server sends, even after a complete response;
    ///     failed when the stream closes without one.
    ///   - pausedReads: the stream starts with reads paused (no response frame is read, so no WINDOW_UPDATE is
    ///     sent: a client that stops reading); succeeded with the stream, for the test to turn `autoRead` back on.
    public func send(
        method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        trailers: [(String, String)] = [], endStream: Bool = true,
        firstData: EventLoopPromise<Void>? = nil, streamReset: EventLoopPromise<HTTP2ErrorCode>? = nil,
        pausedReads: EventLoopPromise<any Channel>? = nil
    ) async throws -> Response {
        let promise = self.channel.eventLoop.makePromise(of: Response.self)
        let stream = try await self.multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                if pausedReads != nil { try stream.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
                try stream.pipeline.syncOperations.addHandler(Collector(promise: promise, firstData: firstData, streamReset: streamReset))
            }
        }.get()
        pausedReads?.succeed(stream)
        let requestHeaders = HPACKHeaders(
            [(":method", method), (":path", path), (":scheme", "http"), (":authority", "proxy.test")] + headers
        )
        let headersEnd = endStream && body.isEmpty && trailers.isEmpty
        var frames: [HTTP2Frame.FramePayload] = [.headers(.init(headers: requestHeaders, endStream: headersEnd))]
        if !body.isEmpty {
            frames.append(.data(.init(data: .byteBuffer(ByteBuffer(bytes: body)), endStream: endStream && trailers.isEmpty)))
        }
        if !trailers.isEmpty {
            frames.append(.headers(.init(headers: HPACKHeaders(trailers), endStream: endStream)))
        }
        // A request the client's own HTTP/2 stack refuses to send fails the call instead of waiting for an answer.
        for frame in frames { stream.write(frame).whenFailure { promise.fail($0) } }
        stream.flush()
        return try await promise.futureResult.get()
    }

    public func close() async throws {
        try await self.channel.close()
    }

    /// Collects one response; fails its promise when the stream ends without one (RST_STREAM, GOAWAY).
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame.FramePayload

        private let promise: EventLoopPromise<Response>
        /// Completed once, then dropped.
        private var firstData: EventLoopPromise<Void>?
        /// Completed once, then dropped.
        private var streamReset: EventLoopPromise<HTTP2ErrorCode>?
        private var response = Response(headers: [], body: [], trailers: [])
        private var sawHeaders = false
        private var done = false

        init(promise: EventLoopPromise<Response>, firstData: EventLoopPromise<Void>?, streamReset: EventLoopPromise<HTTP2ErrorCode>?) {
            self.promise = promise
            self.firstData = firstData
            self.streamReset = streamReset
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .headers(let headers):
                let fields = headers.headers.map { (name: $0.name, value: $0.value) }
                if !self.sawHeaders, !(fields.first { $0.name == ":status" }.map { $0.value.hasPrefix("1") } ?? false) {
                    self.sawHeaders = true
                    self.response.headers = fields
                } else if self.sawHeaders {
                    self.response.trailers = fields
                }
                if headers.endStream { self.finish() }
            case .data(let data):
                if case .byteBuffer(let buffer) = data.data { self.response.body += buffer.readableBytesView }
                self.firstData?.succeed()
                self.firstData = nil
                if data.endStream { self.finish() }
            case .rstStream(let code):
                self.streamReset?.succeed(code)
                self.streamReset = nil
                self.fail(StreamReset(code: code))
            default:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.fail(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.streamReset?.fail(StreamReset(code: .cancel))
            self.streamReset = nil
            self.fail(StreamReset(code: .cancel))
            context.fireChannelInactive()
        }

        private func finish() {
            guard !self.done else { return }
            self.done = true
            self.promise.succeed(self.response)
        }

        private func fail(_ error: any Error) {
            guard !self.done else { return }
            self.done = true
            self.firstData?.fail(error)
            self.firstData = nil
            self.promise.fail(error)
        }
    }

    /// Keeps the server's SETTINGS.
    private final class SettingsRecorder: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame
        private let settings: NIOLockedValueBox<[HTTP2Setting]>

        init(settings: NIOLockedValueBox<[HTTP2Setting]>) {
            self.settings = settings
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .settings(.settings(let received)) = self.unwrapInboundIn(data).payload {
                self.settings.withLockedValue { $0 += received }
            }
            context.fireChannelRead(data)
        }
    }

    /// Keeps the protocol the TLS handshake negotiated by ALPN.
    private final class ALPNRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let alpn: NIOLockedValueBox<String?>

        init(alpn: NIOLockedValueBox<String?>) {
            self.alpn = alpn
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent {
                self.alpn.withLockedValue { $0 = negotiated ?? "(none)" }
            }
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The stream ended without a response (RST_STREAM, or the connection went away).
    public struct StreamReset: Error {
        public var code: HTTP2ErrorCode
    }
}
