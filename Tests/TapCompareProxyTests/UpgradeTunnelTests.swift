import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

/// Upgrade requests (WebSocket and the like) are tunnelled to legacy and never mirrored.
@Suite("Upgrade tunnel", .timeLimit(.minutes(TestTiming.minutes(1))))
struct UpgradeTunnelTests {
    static let upgradeRequest = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n"

    @Test("legacy's 101 turns the connection into a tunnel: bytes flow both ways, nothing is mirrored")
    func tunnel() async throws {
        let legacy = try await UpgradeEchoServer.start()
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "candidate")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            defer { Task { try? await client.close() } }
            try await client.send(Self.upgradeRequest)
            // Legacy's greeting arrives in the same write as its 101.
            let head = await client.waitForReceived(containing: "\r\n\r\nhello")
            #expect(head.contains(Array("\r\n\r\nhello".utf8)))
            let text = String(decoding: head, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(text.lowercased().contains("upgrade: echo\r\n"))
            #expect(text.lowercased().contains("connection: upgrade\r\n"))
            // Legacy saw the upgrade request with its Upgrade and Connection headers.
            #expect(legacy.requestHead.contains("Upgrade: echo"))
            #expect(legacy.requestHead.lowercased().contains("connection: upgrade"))
            #expect(legacy.requestHead.contains("Sec-WebSocket-Key: k"))
            for i in 0..<3 {
                try await client.send("frame-\(i) \u{0}\u{1}\u{2}")
                let echoed = await client.waitForReceived(containing: "echo:frame-\(i) \u{0}\u{1}\u{2}")
                #expect(echoed.contains(Array("echo:frame-\(i) \u{0}\u{1}\u{2}".utf8)))
            }
            #expect(!client.isClosed)
            // Never mirrored.
            #expect(candidate.requestCount == 0)
            #expect(proxy.sink.count == 0)
            // Closing the client closes legacy's side of the tunnel.
            try await client.close()
            #expect(await legacy.waitForClose())
            // A 101 to a request that did not ask to upgrade is not passed on: legacy's answer is unusable (502).
            let response = try await proxy.send(.GET, "/after")
            #expect(response.status == 502)
        }
    }

    @Test("a client's half-close crosses the tunnel: legacy reads the end of its input and still answers before closing")
    func halfCloseIsForwarded() async throws {
        let legacy = try await UpgradeEchoServer.start(allowHalfClose: true)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).contains("hello"), "the tunnel was up")
            try await client.send("last")
            try await client.shutdownOutput()
            // Legacy's answers to the bytes before the half-close and to the half-close itself reach the client.
            let received = String(decoding: await client.waitForClose(), as: UTF8.self)
            #expect(received.hasSuffix("helloecho:lastbye"), "\(received)")
            #expect(client.isClosed)
            #expect(await legacy.waitForClose())
        }
    }

    @Test("an idle tunnel is closed after listener.idle_timeout")
    func idleTunnelCloses() async throws {
        let legacy = try await UpgradeEchoServer.start()
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { configuration, _ in
            // Long enough that a stalled machine does not close the tunnel before legacy's first bytes cross it.
            configuration.clientIdleTimeout = TestTiming.scaled(.seconds(1))
        }) { proxy in
            // The request goes out with the connection: the idle timer must not find an idle client
            // before the tunnel exists (on a loaded machine the awaiting task resumes late).
            let client = try await RawTCP.connect(port: proxy.port, firstBytes: Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).contains("hello"), "the tunnel was up")
            let closedByProxy = await client.waitForClose()
            #expect(client.isClosed, "\(closedByProxy.count) bytes")
            #expect(await legacy.waitForClose())
        }
    }

    @Test("legacy refusing the upgrade answers as usual and the connection closes (its parser stopped at the upgrade)")
    func refusedUpgrade() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(status: 400, reason: "Bad Request", body: "no upgrade")) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send(Self.upgradeRequest)
            let bytes = await client.waitForClose()
            let response = try #require(RawResponse(parsing: bytes))
            #expect(response.status == 400)
            #expect(response.body == Array("no upgrade".utf8))
            #expect(response.values("Connection").map { $0.lowercased() } == ["close"])
        }
    }
}

/// A tiny upgrade server: reads a request head, answers `101` with a greeting in the same write, then echoes
/// every byte it receives prefixed with `echo:`. Started with `allowHalfClose`, it answers the end of its input with
/// `bye` and then closes (without, the end of input closes the connection at once).
final class UpgradeEchoServer: Sendable {
    private let channel: any Channel
    private let state: NIOLockedValueBox<(head: String, closed: Bool)>
    let port: Int

    var url: String { "http://127.0.0.1:\(self.port)" }
    var requestHead: String { self.state.withLockedValue { $0.head } }

    private init(channel: any Channel, state: NIOLockedValueBox<(head: String, closed: Bool)>) {
        self.channel = channel
        self.state = state
        self.port = channel.localAddress!.port!
    }

    static func start(allowHalfClose: Bool = false) async throws -> UpgradeEchoServer {
        let state = NIOLockedValueBox((head: "", closed: false))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: allowHalfClose)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return UpgradeEchoServer(channel: channel, state: state)
    }

    /// Waits until the tunnel's legacy connection closed.
    func waitForClose(timeout: Duration = TestTiming.eventWait) async -> Bool {
        await pollUntil(timeout: timeout, poll: .milliseconds(5)) { self.state.withLockedValue { $0.closed } }
    }

    func shutdown() async throws {
        try await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: NIOLockedValueBox<(head: String, closed: Bool)>
        var head: [UInt8] = []
        var upgraded = false

        init(state: NIOLockedValueBox<(head: String, closed: Bool)>) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(self.unwrapInboundIn(data).readableBytesView)
            if self.upgraded {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: Array("echo:".utf8) + bytes)), promise: nil)
                return
            }
            self.head += bytes
            guard let end = RawResponse.find([13, 10, 13, 10], in: self.head) else { return }
            let text = String(decoding: self.head[..<end], as: UTF8.self)
            self.state.withLockedValue { $0.head = text }
            self.upgraded = true
            let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello"
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            let rest = Array(self.head[(end + 4)...])
            if !rest.isEmpty {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: Array("echo:".utf8) + rest)), promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.state.withLockedValue { $0.closed = true }
            context.fireChannelInactive()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            guard case .some(.inputClosed) = event as? ChannelEvent else { return context.fireUserInboundEventTriggered(event) }
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "bye")), promise: nil)
            context.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
