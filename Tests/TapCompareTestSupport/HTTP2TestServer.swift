import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An in-process HTTP/2 upstream (h2c, or h2 over TLS by ALPN) answering each stream as its script says: a small
/// gRPC-like responder (`content-type: application/grpc`, 5-byte-prefixed messages, `grpc-status` trailers), or a
/// broken one (RST_STREAM, GOAWAY). It records every request and the most streams it ever had open at once on one
/// connection.
public final class HTTP2TestServer: Sendable {
    /// One request as the server saw it.
    public struct Request: Sendable {
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The trailers the client sent after the body, if any.
        public var trailers: [(name: String, value: String)] = []

        public func header(_ name: String) -> String? { self.headers.first { $0.name == name }?.value }
    }

    /// What a stream is answered with.
    public enum Behavior: Sendable {
        /// Headers (`:status` first), each DATA frame, then trailers (none: END_STREAM on the last DATA frame).
        /// With `hold`, nothing is sent until the future completes.
        case answer(headers: [(String, String)], data: [[UInt8]], trailers: [(String, String)], hold: EventLoopFuture<Void>? = nil)
        /// Headers and the first DATA frame at once, the rest of `data` and `trailers` when `rest` completes.
        case streamed(headers: [(String, String)], data: [[UInt8]], trailers: [(String, String)], rest: EventLoopFuture<Void>)
        /// The answer, then GOAWAY (NO_ERROR, this stream the last) and the connection closed: a server leaving.
        case answerThenLeave(headers: [(String, String)], data: [[UInt8]], trailers: [(String, String)])
        /// RST_STREAM (INTERNAL_ERROR) instead of an answer.
        case resetStream
        /// GOAWAY (INTERNAL_ERROR, no stream processed) and the connection closed.
        case goAway
        /// 200 and `total` body bytes (byte `i` is ``downloadByte(_:)``) in `frameSize` DATA frames, all written at
        /// once: flow control alone paces them. What has left for the client is ``bytesSent(path:)``.
        case download(total: Int, frameSize: Int)
    }

    /// Byte `index` of a ``Behavior/download(total:frameSize:)`` body.
    public static func downloadByte(_ index: Int) -> UInt8 { UInt8(index % 251) }

    /// The download pattern from byte 0, a period longer than any frame: a frame is a slice of it, copied rather than
    /// computed byte by byte on the event loop the other suites' servers share.
    private static let downloadPattern: [UInt8] = (0..<(64 << 10) + 251).map(HTTP2TestServer.downloadByte)

    /// A gRPC-like answer: `grpc-status` 0 with the messages, each in its own DATA frame.
    public static func grpc(_ messages: [[UInt8]], status: String = "0", message: String? = nil, extraHeaders: [(String, String)] = []) -> Behavior {
        var trailers = [("grpc-status", status)]
        if let message { trailers.append(("grpc-message", message)) }
        return .answer(
            headers: [(":status", "200"), ("content-type", "application/grpc")] + extraHeaders,
            data: messages.map(Self.frame),
            trailers: trailers
        )
    }

    /// A gRPC message on the wire: compressed flag 0, 4-byte big-endian length, the bytes.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        let n = UInt32(message.count)
        return [0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + message
    }

    private struct State {
        var requests: [Request] = []
        var connections = 0
        var maxOpenStreams = 0
        /// Body bytes of downloads whose writes completed (they left for the peer), by `:path`.
        var bytesSent: [String: Int] = [:]
    }

    public let channel: any Channel
    private let state: NIOLockedValueBox<State>

    public var port: Int { self.channel.localAddress!.port! }
    public var requests: [Request] { self.state.withLockedValue { $0.requests } }
    public var connectionCount: Int { self.state.withLockedValue { $0.connections } }
    /// The most streams open at once on any one connection.
    public var maxOpenStreams: Int { self.state.withLockedValue { $0.maxOpenStreams } }
    /// The body bytes of the ``Behavior/download(total:frameSize:)`` answer to `path` that were written to the peer:
    /// a frame counts once NIOHTTP2 sent it, which flow control allows only when the peer gave the window.
    public func bytesSent(path: String) -> Int { self.state.withLockedValue { $0.bytesSent[path] ?? 0 } }

    /// - Parameters:
    ///   - tls: serve h2 over TLS (ALPN `h2`) instead of h2c.
    ///   - maxConcurrentStreams: the SETTINGS_MAX_CONCURRENT_STREAMS announced.
    ///   - behavior: how each request (its headers and body) is answered; called on the event loop.
    public init(
        tls: NIOSSLContext? = nil,
        maxConcurrentStreams: Int = 100,
        behavior: @escaping @Sendable (Request, any EventLoop) -> Behavior
    ) async throws {
        let state = NIOLockedValueBox(State())
        self.state = state
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    state.withLockedValue { $0.connections += 1 }
                    let open = NIOLockedValueBox(0)
                    var connection = NIOHTTP2Handler.ConnectionConfiguration()
                    connection.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
                    ]
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: connection, streamConfiguration: .init()
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(
                                StreamHandler(state: state, open: open, behavior: behavior)
                            )
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    public func shutdown() async throws {
        try await self.channel.close()
    }

    private final class StreamHandler: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame.FramePayload
        typealias OutboundOut = HTTP2Frame.FramePayload

        private let state: NIOLockedValueBox<State>
        private let open: NIOLockedValueBox<Int>
        private let behavior: @Sendable (Request, any EventLoop) -> Behavior
        private var headers: HPACKHeaders?
        private var body: [UInt8] = []
        private var trailers: [(name: String, value: String)] = []
        private var answered = false

        init(state: NIOLockedValueBox<State>, open: NIOLockedValueBox<Int>, behavior: @escaping @Sendable (Request, any EventLoop) -> Behavior) {
            self.state = state
            self.open = open
            self.behavior = behavior
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let now = self.open.withLockedValue { $0 += 1; return $0 }
            self.state.withLockedValue { $0.maxOpenStreams = max($0.maxOpenStreams, now) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.open.withLockedValue { $0 -= 1 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .headers(let headers):
                if self.headers == nil {
                    self.headers = headers.headers
                } else {
                    self.trailers = headers.headers.map { (name: $0.name, value: $0.value) }
                }
                if headers.endStream { self.respond(context: context) }
            case .data(let data):
                if case .byteBuffer(let buffer) = data.data { self.body += buffer.readableBytesView }
                if data.endStream { self.respond(context: context) }
            default:
                break
            }
        }

        private func respond(context: ChannelHandlerContext) {
            guard !self.answered else { return }
            self.answered = true
            let request = Request(headers: (self.headers ?? [:]).map { (name: $0.name, value: $0.value) }, body: self.body, trailers: self.trailers)
            self.state.withLockedValue { $0.requests.append(request) }
            switch self.behavior(request, context.eventLoop) {
            case .answer(let headers, let data, let trailers, let hold):
                if let hold {
                    hold.hop(to: context.eventLoop).assumeIsolated().whenSuccess { self.answer(context: context, headers: headers, data: data, trailers: trailers) }
                } else {
                    self.answer(context: context, headers: headers, data: data, trailers: trailers)
                }
            case .streamed(let headers, let data, let trailers, let rest):
                context.write(self.wrapOutboundOut(.headers(.init(headers: HPACKHeaders(headers)))), promise: nil)
                let buffer = context.channel.allocator.buffer(bytes: data[0])
                context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(buffer)))), promise: nil)
                rest.hop(to: context.eventLoop).assumeIsolated().whenSuccess {
                    self.answer(context: context, headers: nil, data: Array(data.dropFirst()), trailers: trailers)
                }
            case .answerThenLeave(let headers, let data, let trailers):
                self.answer(context: context, headers: headers, data: data, trailers: trailers)
                let parent = context.channel.parent!
                let streamID = try! context.channel.syncOptions!.getOption(HTTP2StreamChannelOptions.streamID)
                let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: streamID, errorCode: .noError, opaqueData: nil))
                parent.writeAndFlush(frame).assumeIsolated().whenComplete { _ in parent.close(promise: nil) }
            case .resetStream:
                context.writeAndFlush(self.wrapOutboundOut(.rstStream(.internalError)), promise: nil)
            case .goAway:
                let parent = context.channel.parent!
                let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: .internalError, opaqueData: nil))
                parent.writeAndFlush(frame).assumeIsolated().whenComplete { _ in parent.close(promise: nil) }
            case .download(let total, let frameSize):
                self.download(context: context, path: request.header(":path") ?? "", total: total, frameSize: frameSize)
            }
        }

        private func download(context: ChannelHandlerContext, path: String, total: Int, frameSize: Int) {
            context.write(self.wrapOutboundOut(.headers(.init(headers: HPACKHeaders([(":status", "200")])))), promise: nil)
            let state = self.state
            var offset = 0
            while offset < total {
                let count = min(frameSize, total - offset)
                precondition(count <= 64 << 10, "download frames are at most 64 KiB")
                let start = offset % 251
                let buffer = context.channel.allocator.buffer(bytes: HTTP2TestServer.downloadPattern[start..<(start + count)])
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenSuccess { state.withLockedValue { $0.bytesSent[path, default: 0] += count } }
                offset += count
                context.write(self.wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: offset == total))), promise: written)
            }
            context.flush()
        }

        /// Writes the answer; `headers` `nil` when they were sent already.
        private func answer(context: ChannelHandlerContext, headers: [(String, String)]?, data: [[UInt8]], trailers: [(String, String)]) {
            let endOnData = trailers.isEmpty
            if let headers {
                context.write(self.wrapOutboundOut(.headers(.init(headers: HPACKHeaders(headers), endStream: data.isEmpty && endOnData))), promise: nil)
            }
            for (index, bytes) in data.enumerated() {
                let buffer = context.channel.allocator.buffer(bytes: bytes)
                context.write(
                    self.wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: endOnData && index == data.count - 1))), promise: nil
                )
            }
            if !endOnData {
                context.write(self.wrapOutboundOut(.headers(.init(headers: HPACKHeaders(trailers), endStream: true))), promise: nil)
            }
            context.flush()
        }
    }
}
