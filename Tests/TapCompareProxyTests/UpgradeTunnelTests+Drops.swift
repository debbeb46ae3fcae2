import MetricsTestKit
import NIOCore
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// What a tunnel drops when it is closed while it holds bytes for a side, counted with the reason: the idle timeout of
/// a tunnel whose client's end of input waits behind bytes legacy never reads, and a shutdown while the proxy holds
/// bytes for a client that reads nothing.
extension UpgradeTunnelTests {
    /// Every count of `tapcompare_tunnel_dropped_bytes_total` but `toward`/`reason`'s, to check that none of them moved.
    static func otherDrops(_ metrics: TestMetrics, besides toward: String, _ reason: String) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for side in ["client", "legacy"] {
            for other in ["idle_timeout", "shutdown", "cut_off", "other_side_closed"] where (side, other) != (toward, reason) {
                counts["\(side)/\(other)"] = try Self.dropped(metrics, toward: side, other)
            }
        }
        return counts
    }

    @Test("a client's last message and FIN wait behind bytes legacy never reads: the proxy never sees the FIN, listener.idle_timeout closes both connections, and what the proxy held for legacy is counted as dropped toward it (idle_timeout)")
    func idleTimeoutDropsWhatWaitsForLegacy() async throws {
        // More than the proxy can ever read of it while legacy takes nothing: the proxy reads the client's connection
        // only while legacy's is writable, so it holds at most its write buffer toward legacy (64 KiB high-water mark)
        // plus one read burst (at most NIO's 4 reads of 64 KiB), and its socket's receive buffer holds at most what
        // the kernel's autotuning allows (net.ipv4.tcp_rmem's maximum; 8 MiB, macOS's largest, where the system does not
        // say). A mebibyte more than that, so the message's last bytes, and the FIN behind them, stay on the client's
        // side however the buffers grow.
        let message = ByteBuffer(repeating: 0x2a, count: (KernelTCPQueues.receiveBufferMaximum ?? (8 << 20)) + (1 << 20))
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: "hello", finOn: "never"), readsNothingAfterAnswer: true)
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            // A timeout the test expects to fire: short and not scaled (``TestTiming``).
            configuration.clientIdleTimeout = .milliseconds(300)
            // Small, so the proxy's socket toward legacy fills at once and what it read from the client waits in it.
            configuration.legacySendBufferSize = 4096
        }) { proxy in
            // The request goes out with the connection and the message, with its FIN, the moment legacy's greeting
            // arrives, both from the connection's event loop: the idle timer never finds a tunnel waiting on a test
            // task that resumes late.
            let client = try await RawTCP.connect(
                port: proxy.port, firstBytes: Self.upgradeRequest,
                lastMessage: RawTCP.LastMessage(after: "\r\n\r\nhello", bytes: message)
            )
            try await eventually("the idle timeout closed the tunnel and counted what it held for legacy", timeout: .seconds(10)) {
                (try? Self.dropped(metrics, toward: "legacy", "idle_timeout")) ?? 0 > 0
            }
            // The client's connection ends (a reset: the proxy closed it with the client's bytes unread).
            _ = await client.waitForClose()
            #expect(client.isClosed, "the client's connection is still open")
            #expect(String(decoding: client.received, as: UTF8.self).hasSuffix("\r\n\r\nhello"), "the tunnel was up")
            // Legacy's too: reading again, it takes what the proxy's socket still had for it, then the end of its input.
            legacy.startReading()
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy's connection is still open")
            #expect(legacy.connections.first?.reset == false, "legacy's connection was reset, not closed")
            let delivered = legacy.connections.first?.received.count ?? 0
            let dropped = try Self.dropped(metrics, toward: "legacy", "idle_timeout")
            #expect(dropped > 0 && dropped <= Int64(message.readableBytes), "\(dropped)")
            // What the proxy read of the message either reached legacy or was counted; never all of it: the message's
            // tail and its FIN never reached the proxy.
            #expect(delivered + Int(dropped) < message.readableBytes, "delivered \(delivered), dropped \(dropped) of \(message.readableBytes)")
            let otherDrops = try Self.otherDrops(metrics, besides: "legacy", "idle_timeout")
            #expect(otherDrops.values.allSatisfy { $0 == 0 }, "nothing else was dropped: \(otherDrops)")
        }
    }

    @Test("a graceful shutdown while the proxy provably holds bytes for a client that reads nothing counts them as dropped toward the client (shutdown), and delivered plus dropped is exactly what legacy sent", .enabled(if: KernelTCPQueues.available))
    func shutdownCountsWhatItDrops() async throws {
        // The byte arithmetic that makes the count certain. Legacy sends `greeting` (48 KiB) right behind its 101 and
        // keeps its connection open; the client reads nothing. Toward the client the kernels hold little: the client's
        // receive buffer is 4096 (Linux doubles it: its advertised window never exceeds 8 KiB) and the proxy's send
        // buffer 4096 (8 KiB of memory, plus at most one segment of at most half the client's window), so less than
        // 24 KiB together, the 101's head included. The proxy's write buffer toward the client stays below its 64 KiB
        // high-water mark (48 KiB is all there is), so the proxy never stops reading legacy: once its socket has no
        // unread byte left of all that legacy's socket sent, the proxy holds 48 KiB less what the kernels toward the
        // client took, more than 24 KiB, and nothing takes them (the client reads nothing) until the shutdown drops them.
        let greeting = String(repeating: "x", count: 48 << 10)
        let legacy = try await HalfClosingLegacy.start(.upgrade(greeting: greeting, finOn: "never"))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        let client = try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            configuration.clientSendBufferSize = 4096
        }) { proxy in
            let client = try await RawTCP.connect(
                port: proxy.port, firstBytes: Self.upgradeRequest, receiveBufferSize: 4096, autoRead: false
            )
            // The event: legacy's socket took its whole answer, legacy's kernel had all of it acknowledged (so it all
            // reached the proxy's socket), and then the proxy's socket had none of it left unread. In that order: a
            // byte counted in neither queue between the two reads had already been read by the proxy.
            try await eventually("the proxy read every byte legacy sent") {
                guard let connection = legacy.connections.first, connection.answerWritten, let proxyPort = connection.peerPort,
                    KernelTCPQueues.socket(local: legacy.port, remote: proxyPort)?.unacknowledged == 0
                else { return false }
                return KernelTCPQueues.socket(local: proxyPort, remote: legacy.port)?.unread == 0
            }
            #expect(!client.isClosed)
            #expect(try Self.dropped(metrics, toward: "client", "shutdown") == 0, "nothing dropped before the shutdown")
            // Leaving the body shuts the proxy down gracefully (ProxyHarness), which closes the open tunnel.
            return client
        }
        // What the proxy's socket had already taken reaches the client, then the end of the connection.
        try? await client.startReading()
        let received = await client.waitForClose()
        #expect(client.isClosed)
        let delivered = RawResponse.find(Array("\r\n\r\n".utf8), in: received).map { received.count - $0 - 4 } ?? 0
        let dropped = try Self.dropped(metrics, toward: "client", "shutdown")
        #expect(dropped > 0, "the shutdown dropped what the proxy held for the client and counted none of it")
        // Nothing lost silently: every byte of the greeting was either delivered or counted.
        #expect(delivered + Int(dropped) == greeting.utf8.count, "delivered \(delivered), dropped \(dropped) of \(greeting.utf8.count)")
        let otherDrops = try Self.otherDrops(metrics, besides: "client", "shutdown")
        #expect(otherDrops.values.allSatisfy { $0 == 0 }, "dropped by the shutdown, not by a timeout: \(otherDrops)")
        #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy's connection is still open")
        #expect(legacy.connections.first?.reset == false, "legacy's connection was reset, not closed")
    }
}
