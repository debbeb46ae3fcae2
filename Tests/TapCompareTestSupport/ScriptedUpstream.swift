import NIOCore
import NIOHTTP1
import NIOPosix
import NIOConcurrencyHelpers
import NIOSSL

/// An in-process HTTP/1.1 upstream on a free port whose answers are scripted per request, including every
/// misbehaviour a proxy must survive: slow, hanging, resetting, garbage, huge, trickling.
///
/// Responses are written as raw bytes (no encoder), so a test controls framing and header order exactly.
/// The server records what it received and how many requests it was handling at once.
public final class ScriptedUpstream: Sendable {
    /// Request bodies are recorded up to this many bytes (the length and checksum cover everything).
    public static let maxRecordedBodyBytes = 4 << 20

    struct State {
        var requests: [RecordedRequest] = []
        var events: [String] = []
        var inFlight = 0
        var maxInFlight = 0
        var responded = 0
        var connections = 0
        var closedConnections = 0
    }

    let state = NIOLockedValueBox(State())
    private let channel: any Channel
    public let port: Int
    /// Whether it speaks TLS (started with a `tls` context).
    public let usesTLS: Bool

    /// Starts a server on 127.0.0.1 and a free port.
    /// - Parameters:
    ///   - tls: when given, every connection is TLS with this server context (see ``TestCertificates``);
    ///     a failed handshake is recorded as an event `tls_failed`.
    ///   - behavior: chooses what to do with each request from its head (runs on an event loop).
    public init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tls: NIOSSLContext? = nil,
        behavior: @escaping @Sendable (HTTPRequestHead) -> UpstreamBehavior
    ) async throws {
        let box = StateBox()
        self.usesTLS = tls != nil
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try sync.addHandler(ScriptedUpstreamHandler(upstream: box, behavior: behavior))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.port = self.channel.localAddress!.port!
        box.upstream = self
    }

    /// `http://127.0.0.1:PORT`, or `https://…` when it speaks TLS.
    public var url: String { "\(self.usesTLS ? "https" : "http")://127.0.0.1:\(self.port)" }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { self.state.withLockedValue { $0.requests } }
    /// Requests whose head has arrived.
    public var requestCount: Int { self.state.withLockedValue { $0.events.filter { $0.hasPrefix("request ") }.count } }
    /// Responses completely written.
    public var respondedCount: Int { self.state.withLockedValue { $0.responded } }
    /// The most requests handled at the same time.
    public var maxConcurrentRequests: Int { self.state.withLockedValue { $0.maxInFlight } }
    /// Requests being handled now (head received, response not finished, connection open).
    public var requestsInFlight: Int { self.state.withLockedValue { $0.inFlight } }
    /// `request <uri>` and `response <uri>` in the order they happened.
    public var events: [String] { self.state.withLockedValue { $0.events } }
    /// Connections accepted so far.
    public var connectionCount: Int { self.state.withLockedValue { $0.connections } }
    /// Connections closed so far, by either side.
    public var closedConnectionCount: Int { self.state.withLockedValue { $0.closedConnections } }

    public func shutdown() async throws {
        try await self.channel.close().get()
    }

    /// A port on 127.0.0.1 where nothing listens, so connecting is refused, for as long as the test process runs.
    ///
    /// The port stays bound (a socket that never listens, kept open): a port merely bound and closed again is free,
    /// and in a suite running in parallel another test's server can be given it a moment later, so "the refused
    /// candidate" answered 200 and that server counted a request it was never sent (seen in CI).
    public static func refusingPort() async throws -> Int {
        try ReservedPort.make()
    }

    /// Waits (polling, for tests) until `condition` holds or `timeout` (scaled by ``TestTiming``) passes;
    /// returns whether it held.
    @discardableResult
    public func waitUntil(timeout: Duration = TestTiming.eventWait, _ condition: (ScriptedUpstream) -> Bool) async -> Bool {
        await pollUntil(timeout: timeout, poll: .milliseconds(5)) { condition(self) }
    }
}

/// Lets the handlers reach the upstream object created after the bind.
final class StateBox: @unchecked Sendable {
    // Set once, right after the bind and before any connection can be accepted in a test.
    nonisolated(unsafe) var upstream: ScriptedUpstream?
}

final class ScriptedUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let box: StateBox
    private let behavior: @Sendable (HTTPRequestHead) -> UpstreamBehavior
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyLength = 0
    private var checksum = StreamChecksum()
    private var inRequest = false
    private var closed = false
    /// What to do with the request in progress, chosen once from its head.
    private var chosen: UpstreamBehavior?

    init(upstream: StateBox, behavior: @escaping @Sendable (HTTPRequestHead) -> UpstreamBehavior) {
        self.box = upstream
        self.behavior = behavior
    }

    private var upstream: ScriptedUpstream { self.box.upstream! }

    func channelActive(context: ChannelHandlerContext) {
        self.upstream.state.withLockedValue { $0.connections += 1 }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.bodyLength = 0
            self.checksum = StreamChecksum()
            self.inRequest = true
            self.upstream.state.withLockedValue {
                $0.events.append("request \(head.uri)")
                $0.inFlight += 1
                $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
            }
            let behavior = self.behavior(head)
            self.chosen = behavior
            if case .respondAtHead(let response) = behavior {
                let recorded = RecordedRequest(head: head, body: [], bodyLength: 0, bodyChecksum: self.checksum.value)
                self.upstream.state.withLockedValue { $0.requests.append(recorded) }
                self.send(response, isHead: head.method == .HEAD, context: context, uri: head.uri)
            }
        case .body(let buffer):
            self.bodyLength += buffer.readableBytes
            self.checksum.add(buffer)
            if self.body.count < ScriptedUpstream.maxRecordedBodyBytes {
                self.body += buffer.readableBytesView.prefix(ScriptedUpstream.maxRecordedBodyBytes - self.body.count)
            }
        case .end:
            guard let head = self.head, let behavior = self.chosen else { return }
            self.chosen = nil
            if case .respondAtHead = behavior { return }
            let recorded = RecordedRequest(head: head, body: self.body, bodyLength: self.bodyLength, bodyChecksum: self.checksum.value)
            self.upstream.state.withLockedValue { $0.requests.append(recorded) }
            self.respond(behavior, context: context, to: recorded)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.upstream.state.withLockedValue { $0.closedConnections += 1 }
        if self.inRequest {
            self.inRequest = false
            self.upstream.state.withLockedValue { $0.inFlight -= 1 }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            self.upstream.state.withLockedValue { $0.events.append("tls_failed") }
        }
        context.close(promise: nil)
    }

    private func finished(context: ChannelHandlerContext, uri: String) {
        guard self.inRequest else { return }
        self.inRequest = false
        self.upstream.state.withLockedValue {
            $0.inFlight -= 1
            $0.responded += 1
            $0.events.append("response \(uri)")
        }
        if self.head?.isKeepAlive == false {
            context.flush()
            context.close(promise: nil)
        }
    }

    private func write(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
        context.write(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func respond(_ behavior: UpstreamBehavior, context: ChannelHandlerContext, to request: RecordedRequest) {
        let isHead = request.head.method == .HEAD
        let uri = request.head.uri
        switch behavior {
        case .respondAtHead:
            // Answered when the head arrived.
            break
        case .respond(let response):
            self.send(response, isHead: isHead, context: context, uri: uri)
        case .echo:
            var headers: [(String, String)] = [
                ("X-Echo-Method", request.head.method.rawValue), ("X-Echo-Uri", request.head.uri),
            ]
            for (name, value) in request.head.headers { headers.append(("X-Echo-Header", "\(name): \(value)")) }
            self.send(ScriptedResponse(headers: headers, body: request.body), isHead: isHead, context: context, uri: uri)
        case .sleep(let delay, let response):
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                guard !self.closed else { return }
                self.send(response, isHead: isHead, context: context, uri: uri)
            }
        case .hang:
            break
        case .resetMidBody(let response, let afterBytes):
            self.write(context, response.headBytes())
            self.write(context, Array(response.bodyBytes().prefix(afterBytes)))
            context.flush()
            // A moment before the reset, so the peer reads the partial answer first: a reset arriving with those
            // bytes still unread makes the kernel discard them, and the peer would see no answer at all.
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { self.reset(context) }
        case .close:
            context.close(promise: nil)
        case .reset:
            self.reset(context)
        case .garbage(let bytes):
            self.write(context, bytes)
            context.flush()
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { context.close(promise: nil) }
        case .huge(let total):
            self.write(context, ScriptedResponse(headers: [("Content-Type", "application/octet-stream")]).headBytesWithLength(total))
            HugeBodyWriter(context: context, total: total, isHead: isHead) { [self] in
                self.finished(context: context, uri: uri)
            }.start()
        case .trickle(let response, let step, let interval):
            var bytes = response.headBytes()
            if !isHead { bytes += response.bodyBytes() }
            self.trickle(bytes[...], step: max(1, step), interval: interval, context: context, uri: uri, closeAfter: response.framing.isCloseDelimited)
        case .raw(let bytes):
            self.write(context, bytes)
            context.flush()
            self.finished(context: context, uri: uri)
        case .work(let action):
            let loop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
            Task {
                let response = await action(request)
                loop.execute {
                    let (handler, context) = bound.value
                    guard !handler.closed else { return }
                    handler.send(response, isHead: isHead, context: context, uri: uri)
                }
            }
        case .headThenBodyWhen(let response, let ready):
            self.write(context, response.headBytes())
            context.flush()
            let loop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
            Task {
                await ready()
                loop.execute {
                    let (handler, context) = bound.value
                    guard !handler.closed else { return }
                    if !isHead { handler.write(context, response.bodyBytes()) }
                    context.flush()
                    handler.finished(context: context, uri: uri)
                    if response.framing.isCloseDelimited { context.close(promise: nil) }
                }
            }
        case .headThenBody(let response, let delay):
            self.write(context, response.headBytes())
            context.flush()
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                guard !self.closed else { return }
                if !isHead { self.write(context, response.bodyBytes()) }
                context.flush()
                self.finished(context: context, uri: uri)
                if response.framing.isCloseDelimited { context.close(promise: nil) }
            }
        }
    }

    /// Closes with SO_LINGER 0, which turns the close into a TCP reset.
    private func reset(_ context: ChannelHandlerContext) {
        if let provider = context.channel as? any SocketOptionProvider {
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }

    private func send(_ response: ScriptedResponse, isHead: Bool, context: ChannelHandlerContext, uri: String) {
        var bytes = response.headBytes()
        if !isHead { bytes += response.bodyBytes() }
        self.write(context, bytes)
        context.flush()
        self.finished(context: context, uri: uri)
        if response.framing.isCloseDelimited { context.close(promise: nil) }
    }

    private func trickle(_ bytes: ArraySlice<UInt8>, step: Int, interval: TimeAmount, context: ChannelHandlerContext, uri: String, closeAfter: Bool) {
        guard !self.closed else { return }
        let now = bytes.prefix(step)
        self.write(context, Array(now))
        context.flush()
        let rest = bytes.dropFirst(step)
        if rest.isEmpty {
            self.finished(context: context, uri: uri)
            if closeAfter { context.close(promise: nil) }
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            self.trickle(rest, step: step, interval: interval, context: context, uri: uri, closeAfter: closeAfter)
        }
    }
}

extension ScriptedResponse.Framing {
    var isCloseDelimited: Bool {
        if case .closeDelimited = self { return true }
        return false
    }
}

extension ScriptedResponse {
    func headBytesWithLength(_ length: Int) -> [UInt8] {
        var copy = self
        copy.framing = .asGiven
        copy.headers.append(("Content-Length", String(length)))
        return copy.headBytes()
    }
}

/// Writes a generated body of any size, holding further writes until the channel is writable again, so the
/// server's memory stays flat however large the body.
final class HugeBodyWriter {
    private let context: ChannelHandlerContext
    private var left: Int
    private var offset = 0
    private let done: () -> Void
    private static let chunk: [UInt8] = {
        // 251 is prime, so the pattern never lines up with buffer sizes; 64 KiB per write.
        (0..<(251 * 261)).map { UInt8($0 % 251) }
    }()

    init(context: ChannelHandlerContext, total: Int, isHead: Bool, done: @escaping () -> Void) {
        self.context = context
        self.left = isHead ? 0 : total
        self.done = done
    }

    func start() {
        self.pump()
    }

    private func pump() {
        let context = self.context
        while self.left > 0 && context.channel.isActive {
            let n = min(self.left, Self.chunk.count)
            // Keep the byte pattern continuous across writes: byte i of the body is i % 251.
            let start = self.offset % 251
            var buffer = context.channel.allocator.buffer(capacity: n)
            buffer.writeBytes(Self.chunk[start..<min(Self.chunk.count, start + n)])
            if buffer.readableBytes < n { buffer.writeBytes(Self.chunk[0..<(n - buffer.readableBytes)]) }
            self.left -= n
            self.offset += n
            if context.channel.isWritable {
                context.write(NIOAny(buffer), promise: nil)
            } else {
                context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in self.pump() }
                return
            }
        }
        context.flush()
        if self.left == 0 { self.done() }
    }
}
