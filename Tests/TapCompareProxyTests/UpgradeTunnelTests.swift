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

    /// Bytes `i % 251`, enough to pass through the tunnel's backpressure (more than a socket buffer's worth).
    static let upload: [UInt8] = (0..<(512 << 10)).map { UInt8($0 % 251) }

    @Test("legacy's FIN together with its 101 and greeting: the client reads the greeting then EOF, can still send (legacy reads it all), and its close reaches legacy")
    func legacyHalfCloseWithTheUpgrade() async throws {
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: "hello", finOn: nil))
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            let received = String(decoding: await client.waitForInputClosed(), as: UTF8.self)
            #expect(received.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(received)")
            // Legacy's bytes sent before its FIN all arrive, then the end of the client's input (read returns 0).
            #expect(received.hasSuffix("\r\n\r\nhello"), "\(received)")
            #expect(client.isInputClosed)
            #expect(!client.isClosed, "the proxy closed the whole connection instead of its sending side")
            // The other direction goes on: legacy reads everything the client sends after its FIN.
            try await client.send(Self.upload)
            #expect(await legacy.waitUntil { $0.first?.received.count ?? 0 >= Self.upload.count })
            let uploaded = legacy.connections.first?.received ?? []
            #expect(uploaded == Self.upload, "legacy read \(uploaded.count) of \(Self.upload.count) bytes, or other bytes")
            #expect(!client.isClosed)
            // The client's close ends the tunnel: legacy reads its end of input (no reset).
            try await client.close()
            #expect(await legacy.waitUntil { $0.first?.closed == true })
            #expect(legacy.connections.first?.reset == false)
        }
    }

    @Test("legacy shutting its sending side mid-tunnel: the client reads its last bytes then EOF, still sends, and its own half-close then closes both sockets")
    func legacyHalfCloseMidTunnel() async throws {
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: "hello", finOn: "that's all"))
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).hasSuffix("hello"), "the tunnel was up")
            #expect(!client.isInputClosed)
            try await client.send("that's all")
            let received = String(decoding: await client.waitForInputClosed(), as: UTF8.self)
            #expect(received.hasSuffix("\r\n\r\nhellobye"), "\(received)")
            #expect(client.isInputClosed)
            #expect(!client.isClosed, "the proxy closed the whole connection instead of its sending side")
            try await client.send(Self.upload)
            #expect(await legacy.waitUntil { $0.first?.received.count ?? 0 >= Array("that's all".utf8).count + Self.upload.count })
            let uploaded = legacy.connections.first?.received ?? []
            #expect(uploaded == Array("that's all".utf8) + Self.upload, "legacy read \(uploaded.count) of \(10 + Self.upload.count) bytes, or other bytes")
            // Both directions shut: the proxy closes both sockets.
            try await client.shutdownOutput()
            #expect(await legacy.waitUntil { $0.first?.closed == true })
            #expect(legacy.connections.first?.reset == false)
            _ = await client.waitForClose()
            #expect(client.isClosed)
            #expect(client.received == Array(received.utf8), "nothing after legacy's FIN")
        }
    }

    @Test("a client that half-closes before legacy's 101 still gets the 101 and legacy's bytes; legacy reads the end of its input once the tunnel is up")
    func clientHalfCloseBeforeTheUpgrade() async throws {
        let legacy = try await UpgradeEchoServer.start(allowHalfClose: true, holdsAnswer: true)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            #expect(await legacy.waitForHeldAnswer(), "legacy has the upgrade request")
            // The FIN reaches the proxy's socket before legacy answers, and the proxy's loop reads it first.
            try await client.shutdownOutput()
            legacy.releaseAnswer()
            // Legacy's `bye` answers the end of its input: the half-close crossed the tunnel once it was up.
            let received = String(decoding: await client.waitForClose(), as: UTF8.self)
            #expect(received.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(received)")
            #expect(received.hasSuffix("\r\n\r\nhellobye"), "\(received)")
            #expect(client.isClosed)
            #expect(await legacy.waitForClose())
        }
    }

    @Test("an ordinary keep-alive GET whose legacy shuts its sending side after the response: the client gets it whole, legacy's connection is closed (not pooled half-open), the next request is answered")
    func ordinaryLegacyHalfCloseClosesItsConnection() async throws {
        let legacy = try await HalfClosingLegacy.start(.response)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = await client.waitForReceived(containing: "answer 1")
            let response = try #require(RawResponse(parsing: first), "\(String(decoding: first, as: UTF8.self))")
            #expect(response.status == 200)
            #expect(response.body == Array("answer 1".utf8))
            // As on any upstream HTTP connection, legacy's FIN closes it: legacy reads the proxy's end, with nothing
            // sent after the request.
            #expect(await legacy.waitUntil { $0.first?.closed == true })
            #expect(legacy.connections.first?.received == [])
            // The client's connection goes on; its next request gets a fresh legacy connection.
            #expect(!client.isClosed)
            try await client.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
            let both = await client.waitForReceived(containing: "answer 2")
            #expect(String(decoding: both, as: UTF8.self).hasSuffix("\r\n\r\nanswer 2"))
            #expect(legacy.connections.count == 2)
        }
    }
}

/// A legacy that shuts its sending side (`shutdown(SHUT_WR)`) after its answer and goes on reading, recording for each
/// connection the bytes it read after its request head and how the connection ended; or, answering
/// ``Answer/upgradeThenLastMessage(greeting:last:)``, one that sends a last message and hangs up.
final class HalfClosingLegacy: Sendable {
    enum Answer: Sendable {
        /// `101 Switching Protocols` and `greeting` in one write; then the FIN, right behind them when `finOn` is nil,
        /// or once the tunnel's bytes contain `finOn`, after a last `bye`.
        case upgrade(greeting: String, finOn: String?)
        /// `101 Switching Protocols` and `greeting` in one write; at the end of its input (the client's half-close
        /// crossed the tunnel) it writes `last` and closes the connection (a full close, no half-close) once its socket
        /// took all of it: a server that answers its client's last message and hangs up.
        case upgradeThenLastMessage(greeting: String, last: [UInt8])
        /// `101 Switching Protocols` and `greeting` in one write; once the tunnel's bytes contain `on`, it writes `last`
        /// and closes the connection (a full close) once its socket took all of it: a server that hangs up on a message
        /// of its client's, whatever the client still sends (over a TLS listener, where a client cannot half-close).
        case upgradeThenClose(greeting: String, on: String, last: [UInt8])
        /// `101 Switching Protocols` and `greeting` in one write; then `chunk` bytes after `chunk` bytes, as fast as its
        /// socket takes them, whatever the client does (its end of input included), until the connection closes: a
        /// server that streams to a client gone away.
        case upgradeThenStream(greeting: String, chunk: Int)
        /// A `200` with a Content-Length body, `answer N` on the `N`th connection, and then the FIN.
        case response
    }

    struct Connection: Sendable {
        var received: [UInt8] = []
        /// Its end of input came (with its own output shut, NIO then closes it).
        var closed = false
        /// It ended in an error (a reset) rather than the other side's FIN.
        var reset = false
        /// Bytes it streamed after its answer (``Answer/upgradeThenStream(greeting:chunk:)``) that its socket took.
        var streamed = 0
        /// Its socket took the whole answer of an ``Answer/upgrade(greeting:finOn:)`` with a `finOn`: the 101 and the
        /// greeting are all in the kernel (its own send buffer, or beyond).
        var answerWritten = false
        /// The proxy's port of this connection: with legacy's port, what names the two sockets in the kernel's tables.
        var peerPort: Int?
    }

    private let channel: any Channel
    private let state: NIOLockedValueBox<[Connection]>
    /// Each connection's channel, for ``startReading()``.
    private let children: NIOLockedValueBox<[any Channel]>
    let port: Int

    var url: String { "http://127.0.0.1:\(self.port)" }
    var connections: [Connection] { self.state.withLockedValue { $0 } }

    private init(channel: any Channel, state: NIOLockedValueBox<[Connection]>, children: NIOLockedValueBox<[any Channel]>) {
        self.channel = channel
        self.state = state
        self.children = children
        self.port = channel.localAddress!.port!
    }

    /// - Parameters:
    ///   - slowReading: each connection reads at most `bytes` every `every` (its receive buffer is small, so what it has
    ///     not read waits in the proxy): a legacy that takes its client's bytes slowly. Default: reads at once.
    ///   - readsNothingAfterAnswer: each connection stops reading once it answered the request head (its receive
    ///     buffer is small): a legacy that takes none of the tunnel's bytes.
    static func start(
        _ answer: Answer, slowReading: (every: TimeAmount, bytes: Int)? = nil, readsNothingAfterAnswer: Bool = false
    ) async throws -> HalfClosingLegacy {
        let state = NIOLockedValueBox<[Connection]>([])
        let children = NIOLockedValueBox<[any Channel]>([])
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        if readsNothingAfterAnswer {
            bootstrap = bootstrap.serverChannelOption(.socketOption(.so_rcvbuf), value: 4096)
        }
        if let slowReading {
            bootstrap = bootstrap
                .serverChannelOption(.socketOption(.so_rcvbuf), value: 4096)
                .childChannelOption(.autoRead, value: false)
                .childChannelOption(.maxMessagesPerRead, value: 1)
                .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: slowReading.bytes))
        }
        let channel = try await bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let index = state.withLockedValue { connections in
                        connections.append(Connection(peerPort: channel.remoteAddress?.port))
                        return connections.count - 1
                    }
                    children.withLockedValue { $0.append(channel) }
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(state: state, index: index, answer: answer, readsNothingAfterAnswer: readsNothingAfterAnswer)
                    )
                    if let slowReading {
                        // On the connection's own event loop, not a task a loaded test run may resume late.
                        let reads = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: slowReading.every) { _ in
                            channel.read()
                        }
                        channel.closeFuture.whenComplete { _ in reads.cancel() }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HalfClosingLegacy(channel: channel, state: state, children: children)
    }

    /// Every connection reads again, as one started without `readsNothingAfterAnswer` does: a legacy that took none of
    /// the tunnel's bytes for a while and now takes what is still on its way, then reads the end of its input.
    func startReading() {
        for channel in self.children.withLockedValue({ $0 }) {
            channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
        }
    }

    /// Waits (polling) until `condition` holds for the connections so far.
    func waitUntil(timeout: Duration = TestTiming.eventWait, _ condition: ([Connection]) -> Bool) async -> Bool {
        await pollUntil(timeout: timeout, poll: .milliseconds(5)) { condition(self.connections) }
    }

    func shutdown() async throws {
        try await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: NIOLockedValueBox<[Connection]>
        let index: Int
        let answer: Answer
        let readsNothingAfterAnswer: Bool
        var head: [UInt8] = []
        var answered = false
        var finished = false

        init(state: NIOLockedValueBox<[Connection]>, index: Int, answer: Answer, readsNothingAfterAnswer: Bool) {
            self.state = state
            self.index = index
            self.answer = answer
            self.readsNothingAfterAnswer = readsNothingAfterAnswer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = Array(self.unwrapInboundIn(data).readableBytesView)
            if !self.answered {
                self.head += bytes
                guard let end = RawResponse.find([13, 10, 13, 10], in: self.head) else { return }
                bytes = Array(self.head[(end + 4)...])
                self.answered = true
                if self.readsNothingAfterAnswer { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
                self.sendAnswer(context: context)
            }
            let received = self.state.withLockedValue { connections in
                connections[self.index].received += bytes
                return connections[self.index].received
            }
            if case .upgrade(_, let finOn?) = self.answer, !self.finished, received.contains(Array(finOn.utf8)) {
                self.finish(context: context, last: "bye")
            }
            if case .upgradeThenClose(_, let on, let last) = self.answer, !self.finished, received.contains(Array(on.utf8)) {
                self.finished = true
                // Closed once the socket took it all: closing before would drop what NIO still holds.
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: last))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }

        private func sendAnswer(context: ChannelHandlerContext) {
            switch self.answer {
            case .upgrade(let greeting, let finOn):
                let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n\(greeting)"
                if finOn == nil {
                    self.finish(context: context, last: answer)
                } else {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer))).assumeIsolated().whenSuccess {
                        self.state.withLockedValue { $0[self.index].answerWritten = true }
                    }
                }
            case .upgradeThenLastMessage(let greeting, _), .upgradeThenClose(let greeting, _, _):
                let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n\(greeting)"
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            case .upgradeThenStream(let greeting, let chunk):
                let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n\(greeting)"
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
                self.stream(context: context, chunk: ByteBuffer(repeating: 0x2a, count: chunk))
            case .response:
                let text = "answer \(self.index + 1)"
                self.finish(context: context, last: "HTTP/1.1 200 OK\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
            }
        }

        /// Writes `chunk`, and again once the socket took it, until a write fails (the connection closed).
        private func stream(context: ChannelHandlerContext, chunk: ByteBuffer) {
            context.writeAndFlush(self.wrapOutboundOut(chunk)).assumeIsolated().whenSuccess {
                self.state.withLockedValue { $0[self.index].streamed += chunk.readableBytes }
                self.stream(context: context, chunk: chunk)
            }
        }

        /// Writes `last` and shuts the sending side right behind it.
        private func finish(context: ChannelHandlerContext, last: String) {
            self.finished = true
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: last)), promise: nil)
            context.close(mode: .output, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.state.withLockedValue { $0[self.index].closed = true }
            context.fireChannelInactive()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .some(.inputClosed) = event as? ChannelEvent {
                if case .upgradeThenLastMessage(_, let last) = self.answer {
                    // Closed once the socket took it all: closing before would drop what NIO still holds.
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: last))).assumeIsolated().whenComplete { _ in
                        context.close(promise: nil)
                    }
                    return
                }
                // Streaming on, whatever the client does.
                if case .upgradeThenStream = self.answer { return }
                // Its output still open: nothing more to send either.
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.state.withLockedValue { $0[self.index].reset = true }
            context.close(promise: nil)
        }
    }
}

/// A tiny upgrade server: reads a request head, answers `101` with a greeting in the same write, then echoes
/// every byte it receives prefixed with `echo:`. Started with `allowHalfClose`, it answers the end of its input with
/// `bye` and then closes (without, the end of input closes the connection at once). Started with `holdsAnswer`, it
/// answers only once the test calls ``releaseAnswer()``.
final class UpgradeEchoServer: Sendable {
    struct State {
        var head = ""
        var closed = false
        /// Completed by ``releaseAnswer()``; set once a request head arrived on a server that holds its answer.
        var heldAnswer: EventLoopPromise<Void>?
    }

    private let channel: any Channel
    private let state: NIOLockedValueBox<State>
    let port: Int

    var url: String { "http://127.0.0.1:\(self.port)" }
    var requestHead: String { self.state.withLockedValue { $0.head } }

    private init(channel: any Channel, state: NIOLockedValueBox<State>) {
        self.channel = channel
        self.state = state
        self.port = channel.localAddress!.port!
    }

    static func start(allowHalfClose: Bool = false, holdsAnswer: Bool = false) async throws -> UpgradeEchoServer {
        let state = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: allowHalfClose)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state, holdsAnswer: holdsAnswer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return UpgradeEchoServer(channel: channel, state: state)
    }

    /// Waits until a request head arrived and its answer is held (a server started with `holdsAnswer`).
    func waitForHeldAnswer(timeout: Duration = TestTiming.eventWait) async -> Bool {
        await pollUntil(timeout: timeout, poll: .milliseconds(5)) { self.state.withLockedValue { $0.heldAnswer != nil } }
    }

    /// Sends the held `101` and greeting.
    func releaseAnswer() {
        let answer = self.state.withLockedValue { state in
            defer { state.heldAnswer = nil }
            return state.heldAnswer
        }
        answer?.succeed()
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
        let state: NIOLockedValueBox<State>
        let holdsAnswer: Bool
        var head: [UInt8] = []
        var upgraded = false

        init(state: NIOLockedValueBox<State>, holdsAnswer: Bool) {
            self.state = state
            self.holdsAnswer = holdsAnswer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(self.unwrapInboundIn(data).readableBytesView)
            if self.upgraded {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: Array("echo:".utf8) + bytes)), promise: nil)
                return
            }
            self.head += bytes
            guard let end = RawResponse.find([13, 10, 13, 10], in: self.head) else { return }
            let text = String(decoding: self.head[..<end], as: UTF8.self)
            self.upgraded = true
            let rest = Array(self.head[(end + 4)...])
            guard self.holdsAnswer else {
                self.state.withLockedValue { $0.head = text }
                self.answer(context: context, rest: rest)
                return
            }
            let release = context.eventLoop.makePromise(of: Void.self)
            release.futureResult.assumeIsolated().whenSuccess { self.answer(context: context, rest: rest) }
            self.state.withLockedValue {
                $0.head = text
                $0.heldAnswer = release
            }
        }

        private func answer(context: ChannelHandlerContext, rest: [UInt8]) {
            let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello"
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            if !rest.isEmpty {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: Array("echo:".utf8) + rest)), promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            let held = self.state.withLockedValue { state in
                defer { state.heldAnswer = nil }
                state.closed = true
                return state.heldAnswer
            }
            held?.fail(ChannelError.ioOnClosedChannel)
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
