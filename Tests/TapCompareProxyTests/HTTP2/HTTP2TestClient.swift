import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import TapCompareTestSupport

/// An HTTP/2 client for tests: one connection (h2c with prior knowledge, or TLS offering only `h2` by ALPN), a
/// stream per request, the whole response collected — headers, body bytes and trailers exactly as received.
struct HTTP2TestClient: Sendable {
    struct Response: Sendable {
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var trailers: [(name: String, value: String)]

        var status: String? { self.header(":status") }
        func header(_ name: String) -> String? { self.headers.first { $0.name == name }?.value }
        func trailer(_ name: String) -> String? { self.trailers.first { $0.name == name }?.value }
    }

    let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer

    static func connect(port: Int, tls: TLSConfiguration? = nil) async throws -> HTTP2TestClient {
        let context = try tls.map { configuration -> NIOSSLContext in
            var configuration = configuration
            configuration.applicationProtocols = ["h2"]
            return try NIOSSLContext(configuration: configuration)
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TestTiming.localConnectAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let context { try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil)) }
                    _ = try sync.configureHTTP2Pipeline(mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()) {
                        $0.close()
                    }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let multiplexer = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.get()
        return HTTP2TestClient(channel: channel, multiplexer: multiplexer)
    }

    /// Sends one request on a new stream; `body` ends the stream (an empty body ends it with the headers).
    func send(
        method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> Response {
        let promise = self.channel.eventLoop.makePromise(of: Response.self)
        let stream = try await self.multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(Collector(promise: promise))
            }
        }.get()
        let requestHeaders = HPACKHeaders(
            [(":method", method), (":path", path), (":scheme", "http"), (":authority", "proxy.test")] + headers
        )
        let frames: [HTTP2Frame.FramePayload] =
            body.isEmpty
            ? [.headers(.init(headers: requestHeaders, endStream: true))]
            : [
                .headers(.init(headers: requestHeaders, endStream: false)),
                .data(.init(data: .byteBuffer(ByteBuffer(bytes: body)), endStream: true)),
            ]
        for frame in frames { stream.write(frame, promise: nil) }
        stream.flush()
        return try await promise.futureResult.get()
    }

    func close() async throws {
        try await self.channel.close()
    }

    /// Collects one response; fails its promise when the stream ends without one (RST_STREAM, GOAWAY).
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame.FramePayload

        private let promise: EventLoopPromise<Response>
        private var response = Response(headers: [], body: [], trailers: [])
        private var sawHeaders = false
        private var done = false

        init(promise: EventLoopPromise<Response>) {
            self.promise = promise
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
                if data.endStream { self.finish() }
            case .rstStream(let code):
                self.fail(StreamReset(code: code))
            default:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.fail(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
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
            self.promise.fail(error)
        }
    }

    struct StreamReset: Error {
        var code: HTTP2ErrorCode
    }
}
