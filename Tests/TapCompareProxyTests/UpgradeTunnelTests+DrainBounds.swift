import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// The bounds of a tunnel's drain on the paths the drain tests leave out: legacy cut off by `upstream.write_timeout`,
/// the idle timeout and a shutdown arriving mid-drain, the linger running out on a peer that keeps sending, legacy
/// closing fully while its client still sends, and a slow client over TLS.
extension UpgradeTunnelTests {
    static func sendTimeouts(_ metrics: TestMetrics) throws -> Int64 {
        try metrics.expectCounter(ProxyMetrics.clientClosed, [("reason", "send_timeout")]).totalValue
    }

    static func legacyWriteTimeouts(_ metrics: TestMetrics) throws -> Int64 {
        try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "write_timeout")]).totalValue
    }

    /// `tapcompare_tunnel_dropped_bytes_total` toward `side` for `reason`.
    static func dropped(_ metrics: TestMetrics, toward side: String, _ reason: String) throws -> Int64 {
        try metrics.expectCounter(ProxyMetrics.tunnelDroppedBytes, [("toward", side), ("reason", reason)]).totalValue
    }

    /// 48 KiB: more than the small socket buffers hold, less than the proxy's write buffer (64 KiB high-water mark).
    static let drainedMessage = Array(Self.lastMessage.prefix(48 << 10))

    /// A drain toward a client: it sends its upgrade request, reads the 101 and the greeting, and half-closes from its
    /// own event loop (so the tunnel is never idle before the drain, however late the test's task runs); legacy answers the half-close with ``drainedMessage`` and hangs up, and the proxy's socket
    /// toward the client is small, so the proxy holds what the client has not read yet. `body` runs once legacy hung up.
    /// - Parameters:
    ///   - bytesPerRead: how much the client takes per read (when the test reads with `readEvery`).
    ///   - configure: the timeouts under test.
    static func withDrainToTheClient<T>(
        bytesPerRead: Int? = nil,
        configure: @escaping (inout ProxyConfiguration) -> Void,
        _ body: (_ proxy: ProxyHarness, _ client: RawTCP, _ legacy: HalfClosingLegacy, _ metrics: TestMetrics) async throws -> T
    ) async throws -> T {
        let legacy = try await HalfClosingLegacy.start(.upgradeThenLastMessage(greeting: "hello", last: Self.drainedMessage))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        return try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            configuration.clientSendBufferSize = 4096
            configure(&configuration)
        }) { proxy in
            // The client half-closes from its own loop the moment the 101 and the greeting arrive: from the test's
            // task, a late resume could let the open tunnel reach its (short, unscaled) idle timeout first.
            let client = try await RawTCP.connect(
                port: proxy.port, firstBytes: Self.upgradeRequest, receiveBufferSize: 4096, autoRead: false,
                bytesPerRead: bytesPerRead, allowHalfClosure: true,
                lastMessage: RawTCP.LastMessage(after: "\r\n\r\nhello", bytes: ByteBuffer())
            )
            return try await body(proxy, client, legacy, metrics)
        }
    }

    @Test("a client sends a last message and closes, legacy reads none of it: after upstream.write_timeout legacy's connection is reset, counted once as write_timeout for legacy, and nothing is left open")
    func legacyTakingNothingIsCutOff() async throws {
        // 48 KiB: more than legacy's and the proxy's small socket buffers hold, less than the proxy's write buffer (64 KiB
        // high-water mark), so the proxy reads all of it and then the client's close. (Past what the proxy reads before
        // its backpressure and its socket's receive window, the client's FIN waits in the client's kernel behind bytes
        // the proxy does not read: the proxy cannot see that close, and the open tunnel ends at listener.idle_timeout.)
        let last = Self.drainedMessage
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: "hello", finOn: nil), readsNothingAfterAnswer: true)
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            // A timeout the test expects to fire: short and not scaled (``TestTiming``).
            configuration.writeTimeout = .milliseconds(300)
            configuration.legacySendBufferSize = 4096
        }) { proxy in
            #expect(try Self.legacyWriteTimeouts(metrics) == 0)
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            // Legacy's FIN came with its 101: the client's close then closes the proxy's client connection at once.
            let head = String(decoding: await client.waitForInputClosed(), as: UTF8.self)
            #expect(head.hasSuffix("\r\n\r\nhello"), "\(head)")
            try await client.send(last)
            try await client.close()
            // Legacy takes none of it: the proxy resets legacy's connection (an error there, not its FIN).
            #expect(await legacy.waitUntil(timeout: .seconds(10)) { $0.first?.closed == true }, "legacy's connection was never closed")
            #expect(legacy.connections.first?.reset == true, "legacy's connection was closed, not reset")
            #expect((legacy.connections.first?.received.count ?? 0) < last.count)
            #expect(try Self.legacyWriteTimeouts(metrics) == 1)
            #expect(try Self.sendTimeouts(metrics) == 0, "the client side is not the one cut off")
            // What the proxy still held for legacy is counted as dropped toward it.
            let dropped = try Self.dropped(metrics, toward: "legacy", "cut_off")
            #expect(dropped > 0 && dropped <= Int64(last.count), "\(dropped)")
        }
        // Counted once, however the proxy's shutdown went.
        #expect(try Self.legacyWriteTimeouts(metrics) == 1)
        #expect(legacy.connections.count == 1)
    }

    @Test("listener.idle_timeout passing mid-drain leaves the drain to its own bound: a client reading a little every few idle timeouts gets legacy's whole last message")
    func idleTimeoutDoesNotCutADrain() async throws {
        try await Self.withDrainToTheClient(bytesPerRead: 16 << 10) { configuration in
            // Short, and not scaled: the client below pauses longer than this between its reads.
            configuration.clientIdleTimeout = .milliseconds(150)
            configuration.sendTimeout = TestTiming.scaled(.seconds(10))
        } _: { _, client, legacy, metrics in
            // Reads 16 KiB every 500 ms, three idle timeouts.
            let reading = client.readEvery(.milliseconds(500))
            defer { reading.cancel() }
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy sent its last message and hung up")
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let message = Self.afterGreeting(received)
            #expect(message.count == Self.drainedMessage.count, "the client got \(message.count) of \(Self.drainedMessage.count) bytes")
            #expect(message.elementsEqual(Self.drainedMessage), "other bytes than legacy sent")
            let sendTimeouts = try Self.sendTimeouts(metrics)
            #expect(sendTimeouts == 0)
            let dropped = try ["idle_timeout", "cut_off", "shutdown"].map { try Self.dropped(metrics, toward: "client", $0) }
            #expect(dropped == [0, 0, 0], "nothing toward the client was dropped")
            #expect(legacy.connections.first?.reset == false)
        }
    }

    @Test("listener.idle_timeout passing mid-drain: a client that takes none of legacy's last message is cut off by listener.send_timeout and counted once as send_timeout")
    func idleTimeoutLeavesTheCutOffToTheSendTimeout() async throws {
        let metrics = try await Self.withDrainToTheClient { configuration in
            // Timeouts the test expects to fire: short and not scaled (``TestTiming``); the idle timeout first.
            configuration.clientIdleTimeout = .milliseconds(150)
            configuration.sendTimeout = .milliseconds(600)
        } _: { _, client, legacy, metrics in
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy sent its last message and hung up")
            // The client reads nothing: the proxy cuts it off (a reset, seen without reading; a FIN would not be).
            try await eventually("the proxy reset the client's connection", timeout: .seconds(10)) { client.isClosed }
            #expect(try Self.sendTimeouts(metrics) == 1, "a drain ended by the idle timeout instead is counted nowhere")
            // The bytes the proxy still held for the client were dropped at the cut-off, and counted so.
            let dropped = try Self.dropped(metrics, toward: "client", "cut_off")
            #expect(dropped > 0 && dropped <= Int64(Self.drainedMessage.count), "\(dropped)")
            #expect(try Self.dropped(metrics, toward: "client", "idle_timeout") == 0)
            #expect(legacy.connections.first?.reset == false)
            return metrics
        }
        #expect(try Self.sendTimeouts(metrics) == 1)
    }

    @Test("listener.idle_timeout closing an open tunnel whose client reads nothing: the bytes the proxy held for the client are counted as dropped toward it (idle_timeout)")
    func idleTimeoutCountsWhatItDrops() async throws {
        // Far more than the proxy's write buffer (64 KiB high-water mark) and the small socket buffers: the proxy holds a
        // write buffer's worth for the client and stops reading legacy. The connection stays open ("never" never comes).
        let greeting = String(repeating: "x", count: 256 << 10)
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: greeting, finOn: "never"))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            // A timeout the test expects to fire: short and not scaled (``TestTiming``).
            configuration.clientIdleTimeout = .milliseconds(300)
            configuration.clientSendBufferSize = 4096
        }) { proxy in
            let client = try await RawTCP.connect(
                port: proxy.port, firstBytes: Self.upgradeRequest, receiveBufferSize: 4096, autoRead: false
            )
            try await eventually("the idle timeout closed the tunnel and counted what it dropped", timeout: .seconds(10)) {
                (try? Self.dropped(metrics, toward: "client", "idle_timeout")) ?? 0 > 0
            }
            try? await client.startReading()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let delivered = RawResponse.find(Array("\r\n\r\n".utf8), in: received).map { received.count - $0 - 4 } ?? 0
            let dropped = try Self.dropped(metrics, toward: "client", "idle_timeout")
            #expect(delivered + Int(dropped) <= greeting.utf8.count, "delivered \(delivered), dropped \(dropped)")
            #expect(try Self.dropped(metrics, toward: "legacy", "idle_timeout") == 0, "nothing was waiting for legacy")
        }
    }

    @Test("a graceful shutdown while a tunnel drains toward a client that reads nothing completes without waiting for listener.send_timeout, and closes both sockets")
    func shutdownDuringADrain() async throws {
        let sendTimeout = Duration.seconds(30)
        let (client, metrics, shutdownStarted) = try await Self.withDrainToTheClient { configuration in
            // Far longer than the shutdown may take: a shutdown that waited for the drain would take this long.
            configuration.sendTimeout = TimeAmount(sendTimeout)
        } _: { _, client, legacy, metrics in
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy sent its last message and hung up")
            #expect(!client.isClosed, "the drain is under way")
            // Leaving the body shuts the proxy down gracefully (ProxyHarness), which waits for every client connection.
            return (client, metrics, ContinuousClock.now)
        }
        let shutdown = ContinuousClock.now - shutdownStarted
        #expect(shutdown < sendTimeout / 3, "the shutdown took \(shutdown)")
        // What the proxy's socket still held reaches the client, then the end of the connection (or a reset, already
        // seen: the connection is then closed and cannot read).
        try? await client.startReading()
        let received = await client.waitForClose()
        #expect(client.isClosed)
        let delivered = Self.afterGreeting(received).count
        #expect(delivered < Self.drainedMessage.count, "the scenario holds: the client had not taken it all")
        #expect(try Self.sendTimeouts(metrics) == 0)
        // What the shutdown dropped of what the proxy held is counted: delivered and dropped never add up to more than
        // legacy sent. (Not asserted above zero: on a loaded run the proxy may not have read legacy's last bytes from
        // its socket yet when the shutdown comes, and bytes it never read are not its to count.)
        let dropped = try Self.dropped(metrics, toward: "client", "shutdown")
        #expect(delivered + Int(dropped) <= Self.drainedMessage.count, "delivered \(delivered), dropped \(dropped)")
        let otherReasons = try ["idle_timeout", "cut_off"].map { try Self.dropped(metrics, toward: "client", $0) }
        #expect(otherReasons == [0, 0], "dropped by the shutdown, not by a timeout")
    }

    @Test("after a drain the end lingers, reading and dropping its peer's bytes, for at most LingeringClose.time: a client that keeps sending after legacy hung up has its connection closed")
    func lingerRunsOut() async throws {
        let legacy = try await HalfClosingLegacy.start(.upgradeThenClose(greeting: "hello", on: "goodbye", last: Array("see you".utf8)))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).hasSuffix("hello"), "the tunnel was up")
            try await client.send("goodbye")
            // Keeps sending, 16 KiB at a time, until the proxy closes the connection.
            let sent = NIOLockedValueBox(0)
            let sender = Task {
                let chunk = [UInt8](repeating: 0x2a, count: 16 << 10)
                while !client.isClosed, !Task.isCancelled {
                    do { try await client.send(chunk) } catch { break }
                    sent.withLockedValue { $0 += chunk.count }
                }
            }
            defer { sender.cancel() }
            let ended = String(decoding: await client.waitForInputClosed(), as: UTF8.self)
            #expect(ended.hasSuffix("hellosee you"), "\(ended)")
            #expect(!client.isClosed, "the proxy shut its sending side first, after legacy's last bytes")
            let sentAtInputClosed = sent.withLockedValue { $0 }
            let lingerStarted = ContinuousClock.now
            // Bounded by LingeringClose.time (1 s): a generous guard, far below the test's, never a tight duration.
            try await eventually("the proxy closed the connection of a client still sending", timeout: .seconds(10)) { client.isClosed }
            let lingered = ContinuousClock.now - lingerStarted
            await sender.value
            let sentAfter = sent.withLockedValue { $0 } - sentAtInputClosed
            #expect(sentAfter > 0, "the client kept sending after its input ended")
            // What the proxy read of it, with legacy gone, is counted as dropped toward legacy.
            let dropped = try Self.dropped(metrics, toward: "legacy", "other_side_closed")
            #expect(dropped > 0 && dropped <= Int64(sent.withLockedValue { $0 }), "\(dropped)")
            #expect(lingered < .seconds(10), "\(lingered)")
            #expect(await legacy.waitUntil { $0.first?.closed == true })
        }
    }

    @Test("the client hangs up while legacy keeps sending: legacy's end lingers, reading and dropping legacy's bytes (counted toward the client as other_side_closed), and closes legacy's connection within LingeringClose.time")
    func legacyLingerRunsOut() async throws {
        let legacy = try await HalfClosingLegacy.start(.upgradeThenStream(greeting: "hello", chunk: 16 << 10))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).contains("hello"), "the tunnel was up")
            try await client.close()
            // Legacy never stops: only the proxy's linger (1 s) ends its connection. A generous guard, not a duration.
            #expect(await legacy.waitUntil(timeout: .seconds(10)) { $0.first?.closed == true }, "legacy's connection was never closed")
            let dropped = try Self.dropped(metrics, toward: "client", "other_side_closed")
            let streamed = legacy.connections.first?.streamed ?? 0
            #expect(dropped > 0 && dropped <= Int64(streamed) + Int64(16 << 10), "dropped \(dropped) of \(streamed) streamed")
            #expect(try Self.dropped(metrics, toward: "legacy", "other_side_closed") == 0, "the client sent nothing after legacy's side was gone")
        }
    }

    @Test("legacy closes fully (no half-close) while its client still sends: the client gets every byte legacy sent before, then the end of its input, then the connection ends")
    func legacyFullCloseWhileTheClientSends() async throws {
        let last = Array(Self.lastMessage.prefix(32 << 10))
        let legacy = try await HalfClosingLegacy.start(.upgradeThenClose(greeting: "hello", on: "goodbye", last: last))
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).hasSuffix("hello"), "the tunnel was up")
            try await client.send("goodbye")
            // Goes on sending a little (1 KiB each 2 ms) whatever legacy does.
            let sender = Task {
                let chunk = [UInt8](repeating: 0x2a, count: 1 << 10)
                while !client.isClosed, !Task.isCancelled {
                    do { try await client.send(chunk) } catch { break }
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
            defer { sender.cancel() }
            _ = await client.waitForInputClosed()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let message = Self.afterGreeting(received)
            #expect(message.count == last.count, "the client got \(message.count) of \(last.count) bytes")
            #expect(message.elementsEqual(last), "other bytes than legacy sent")
            #expect(await legacy.waitUntil { $0.first?.closed == true })
        }
    }

    @Test("on a TLS listener, legacy's large last message before it hangs up drains whole to a client reading slowly")
    func tlsClientGetsLegacysLastMessage() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await HalfClosingLegacy.start(.upgradeThenClose(greeting: "hello", on: "goodbye", last: Self.lastMessage))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            configuration.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
            // Small, so the proxy's socket toward the client fills at once and what it read from legacy waits in it.
            configuration.clientSendBufferSize = 4096
        }) { proxy in
            // Reads at most 16 KiB each 2 ms, below TLS (``ReadPacer``): slower than legacy sends.
            let pacer = ReadPacer()
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 4096, bytesPerRead: 16 << 10,
                tls: try certificates.makeClientConfiguration(), readPacer: pacer
            )
            try await pacer.readEvery(.milliseconds(2))
            try await client.send(Self.upgradeRequest)
            let head = await client.waitForReceived(containing: "hello")
            #expect(String(decoding: head, as: UTF8.self).hasSuffix("hello"), "the tunnel was up")
            // A TLS client cannot half-close (the listener does not allow it): legacy hangs up on this message.
            try await client.send("goodbye")
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy sent its last message and hung up")
            #expect(!client.isClosed, "the client had more to read when legacy closed")
            try await eventually("the whole message arrived", timeout: .seconds(20)) {
                client.receivedCount >= head.count + Self.lastMessage.count || client.isClosed
            }
            let message = Self.afterGreeting(client.received)
            #expect(message.count == Self.lastMessage.count, "the client got \(message.count) of \(Self.lastMessage.count) bytes")
            #expect(Self.firstDifference(message) == nil)
            // Then the end: the proxy's close_notify and close, which the client's TLS reads as the end.
            _ = await client.waitForClose()
            #expect(client.isClosed)
            #expect(try Self.sendTimeouts(metrics) == 0)
            #expect(legacy.connections.first?.reset == false)
        }
    }
}
