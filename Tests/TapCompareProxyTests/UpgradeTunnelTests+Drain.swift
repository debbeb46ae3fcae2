import MetricsTestKit
import NIOCore
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// A side of a tunnel that closes does not take with it the bytes it sent that still wait in the proxy for the other
/// side: the other side gets them, then the end of its input; a peer that takes none of them is cut off after its send
/// timeout.
extension UpgradeTunnelTests {
    /// 2 MiB, far more than the socket buffers and the proxy's write buffer (64 KiB high-water mark) hold: the last
    /// of it is still in the proxy when the side that sent it closes. A pattern that a shifted or cut copy fails.
    static let lastMessage: [UInt8] = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }

    /// Where `bytes` first differs from ``lastMessage`` (its length when it is a prefix), `nil` when it is the same: an
    /// index to print, where a failed `==` of two 2 MiB arrays would have the test library diff them for minutes.
    static func firstDifference(_ bytes: [UInt8]) -> Int? {
        if let index = (0..<min(bytes.count, Self.lastMessage.count)).first(where: { bytes[$0] != Self.lastMessage[$0] }) { return index }
        return bytes.count == Self.lastMessage.count ? nil : min(bytes.count, Self.lastMessage.count)
    }

    /// The bytes after the 101's head and legacy's `hello`.
    static func afterGreeting(_ received: [UInt8]) -> [UInt8] {
        guard let end = RawResponse.find(Array("\r\n\r\nhello".utf8), in: received) else { return [] }
        return Array(received[(end + 9)...])
    }

    @Test("legacy answers a client's half-close with a large last message and hangs up: the client, reading slowly, gets every byte of it, then the end of its input")
    func legacyLastMessageDrainsToTheClient() async throws {
        let legacy = try await HalfClosingLegacy.start(.upgradeThenLastMessage(greeting: "hello", last: Self.lastMessage))
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { configuration, _ in
            // Small, so the proxy's socket toward the client fills at once and what it read from legacy waits in it.
            configuration.clientSendBufferSize = 4096
        }) { proxy in
            // Reads at most 16 KiB each 2 ms (on its own event loop): slower than legacy sends, so the proxy holds a
            // write buffer's worth for it when legacy's end of the connection arrives.
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 4096, autoRead: false, bytesPerRead: 16 << 10, allowHalfClosure: true
            )
            let reading = client.readEvery(.milliseconds(2))
            defer { reading.cancel() }
            try await client.send(Self.upgradeRequest)
            #expect(String(decoding: await client.waitForReceived(containing: "hello"), as: UTF8.self).hasSuffix("hello"), "the tunnel was up")
            // The client has nothing more to send: its FIN crosses the tunnel, so the proxy's sending side toward legacy
            // is shut, and legacy's own FIN, when it hangs up, closes the proxy's legacy connection at once.
            try await client.shutdownOutput()
            // Legacy's socket took the whole message and legacy closed its connection, while the client still reads.
            #expect(await legacy.waitUntil { $0.first?.closed == true })
            #expect(!client.isClosed, "the client had more to read when legacy closed")
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let message = Self.afterGreeting(received)
            #expect(message.count == Self.lastMessage.count, "the client got \(message.count) of \(Self.lastMessage.count) bytes")
            #expect(Self.firstDifference(message) == nil)
            #expect(legacy.connections.first?.reset == false)
        }
    }

    @Test("a client sends a large last message and closes after legacy half-closed: legacy, reading slowly, gets every byte of it, then the end of its input")
    func clientLastMessageDrainsToLegacy() async throws {
        // Reads at most 8 KiB each 5 ms (about 1.6 MB/s): far slower than the client sends and the proxy forwards, so
        // the proxy's socket toward legacy is full and its write buffer holds bytes when the client's close arrives.
        let legacy = try await HalfClosingLegacy.start(
            .upgrade(greeting: "hello", finOn: nil), slowReading: (every: .milliseconds(5), bytes: 8 << 10)
        )
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { configuration, _ in
            // Small, so the proxy's socket toward legacy fills at once and what it read from the client waits in it.
            configuration.legacySendBufferSize = 4096
        }) { proxy in
            let client = try await RawTCP.connect(port: proxy.port, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            // Legacy's FIN came with its 101: the proxy's sending side toward the client is shut, so the client's FIN,
            // when it closes, closes the proxy's client connection at once.
            let head = String(decoding: await client.waitForInputClosed(), as: UTF8.self)
            #expect(head.hasSuffix("\r\n\r\nhello"), "\(head)")
            #expect(client.isInputClosed)
            // Sent in full to the client's socket, then closed (a full close, not a half-close).
            try await client.send(Self.lastMessage)
            try await client.close()
            #expect(await legacy.waitUntil { $0.first?.closed == true })
            let uploaded = legacy.connections.first?.received ?? []
            #expect(uploaded.count == Self.lastMessage.count, "legacy got \(uploaded.count) of \(Self.lastMessage.count) bytes")
            #expect(Self.firstDifference(uploaded) == nil)
            #expect(legacy.connections.first?.reset == false, "legacy's connection was reset, not closed")
        }
    }

    @Test("a client that takes none of legacy's last message after legacy hung up is cut off after listener.send_timeout and counted; both sockets are closed")
    func drainIsBoundedBySendTimeout() async throws {
        // 48 KiB: more than the client's and the proxy's small socket buffers hold, less than the proxy's write
        // buffer (64 KiB high-water mark), so legacy's socket takes all of it and legacy hangs up while the client
        // has read none of it.
        let last = Array(Self.lastMessage.prefix(48 << 10))
        let legacy = try await HalfClosingLegacy.start(.upgradeThenLastMessage(greeting: "hello", last: last))
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { configuration, _ in
            // A timeout the test expects to fire: short and not scaled (``TestTiming``).
            configuration.sendTimeout = .milliseconds(300)
            configuration.clientSendBufferSize = 4096
        }) { proxy in
            let sendTimeouts = { try metrics.expectCounter(ProxyMetrics.clientClosed, [("reason", "send_timeout")]).totalValue }
            #expect(try sendTimeouts() == 0)
            let client = try await RawTCP.connect(port: proxy.port, receiveBufferSize: 4096, autoRead: false, allowHalfClosure: true)
            try await client.send(Self.upgradeRequest)
            // Reads only until the 101 and greeting are in (one read may come before they arrive).
            try await eventually("the tunnel was up") {
                client.read()
                return client.received.contains(Array("\r\n\r\nhello".utf8))
            }
            try await client.shutdownOutput()
            #expect(await legacy.waitUntil { $0.first?.closed == true }, "legacy sent its last message and hung up")
            // The client reads nothing more: the proxy cuts it off (a reset, seen without reading; a FIN would not be).
            try await eventually("the proxy reset the client's connection", timeout: .seconds(10)) { client.isClosed }
            #expect(try sendTimeouts() == 1)
            #expect(legacy.connections.first?.reset == false)
        }
    }
}
