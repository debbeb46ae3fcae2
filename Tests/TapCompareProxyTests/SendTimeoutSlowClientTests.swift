import MetricsTestKit
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

/// `listener.send_timeout` with real slow clients over HTTP/2 (h2c) and TLS: one reading far slower than the channel
/// can see (its TCP acknowledging bytes is the only sign it reads) gets every byte; one that stops reading is cut
/// off; and an HTTP/2 stream waiting on its own window is not kept alive by its connection's other streams. The
/// HTTP/1 plain cases are in ``SendTimeoutTests``.
///
/// Each slow client reads its socket only on a ``ReadPacer``'s clock, at most 2 KiB every 20 ms (100 KiB/s), whatever TLS
/// or its HTTP/2 streams ask for. The proxy's send buffer is 128 KiB asked (256 KiB in the kernel), which lets the
/// proxy write again only once about a third (~85 KiB) drained: about 0.85 s at that pace, more than the 600 ms
/// send_timeout, so only the client's TCP acknowledging bytes (read from TCP_INFO at each check) keeps it going. Its
/// TCP acknowledges about every 80 ms, so only a pause of most of a timeout could cut it on a loaded machine.
@Suite("Send timeout: slow clients over HTTP/2 and TLS", .timeLimit(.minutes(TestTiming.minutes(1))))
struct SendTimeoutSlowClientTests {
    /// Twice ``SendTimeoutTests/sendTimeout``, as for the plain very slow reader (see the suite's comment).
    static let sendTimeout = SendTimeoutTests.sendTimeout * 2
    static let sendBuffer = 128 << 10
    static let bytesPerRead = 2 << 10
    static let readInterval = TimeAmount.milliseconds(20)
    /// More than the proxy's send buffer, its channel's 64 KiB and the client's receive buffer hold, so the response
    /// stalls; taking it takes at least 7.6 s, several stalls of a second each.
    static let size = 768 << 10

    @Test("an HTTP/2 stream waiting on its own flow-control window is cut off after send_timeout while another stream of its connection keeps downloading: the connection's acknowledged bytes are the other stream's, not its progress")
    func http2OtherStreamsProgressIsNotProgress() async throws {
        // Trickled for at least 4 s (4 KiB every 20 ms), more than ten timeouts: were the other stream's bytes taken
        // for the stalled stream's, it would be cut only once this ended.
        let trickled = (0..<(800 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let legacy = try await ScriptedUpstream { head in
            head.uri == "/stuck"
                ? .huge(bytes: SendTimeoutTests.huge)
                : .trickle(ScriptedResponse(body: trickled), bytesPerWrite: 4096, interval: .milliseconds(20))
        }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = SendTimeoutTests.sendTimeout
        }) { proxy in
            // Streams get HTTP/2's 65,535 bytes, the connection megabytes: the stuck stream's unread bytes (held in its
            // paused channel) never close the connection's window on the other one, and the client reads its socket at
            // full speed, so the connection's socket never fills.
            let client = try await HTTP2TestClient.connect(port: proxy.port, connectionWindowSize: 4 << 20)
            defer { Task { try await client.close() } }
            let paused = client.channel.eventLoop.makePromise(of: (any Channel).self)
            let stuck = Task { try await client.send(method: "GET", path: "/stuck", pausedReads: paused) }
            _ = try await paused.futureResult.get()
            let firstData = client.channel.eventLoop.makePromise(of: Void.self)
            let downloading = Task { try await client.send(method: "GET", path: "/trickled", firstData: firstData) }
            try await firstData.futureResult.get()

            try await eventually("the proxy cut the stuck stream off") { try SendTimeoutTests.sendTimeouts(metrics) == 1 }
            // Cut while the other stream was still downloading: legacy had not finished that answer.
            #expect(legacy.respondedCount == 0)
            let outcome = await stuck.result
            #expect(throws: HTTP2TestClient.StreamReset.self) { try outcome.get() }

            // The other stream is not cut, and gets every byte.
            let response = try await downloading.value
            #expect(response.status == "200")
            #expect(response.body == trickled)
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 1)
        }
    }

    #if os(Linux)
    @Test("an h2c client reading far slower than a third of the proxy's send buffer per send_timeout, with flow-control windows of megabytes so the connection's socket is what is full, gets the whole body: its TCP acknowledging bytes is progress for the stream; when it stops reading its stream is reset after send_timeout, counted, legacy's call abandoned, and the connection goes on")
    func http2SlowReader() async throws {
        let legacy = try await ScriptedUpstream { head in
            switch head.uri {
            case "/slow": .huge(bytes: Self.size)
            case "/stop": .huge(bytes: SendTimeoutTests.huge)
            default: .respond(ScriptedResponse(body: "ok"))
            }
        }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
            proxy.clientSendBufferSize = Self.sendBuffer
        }) { proxy in
            let pacer = ReadPacer()
            // Windows of 4 MiB: the proxy may send far more than the sockets between them hold before it waits for a
            // WINDOW_UPDATE (which the client sends as it takes frames), so what fills is the proxy's socket.
            let client = try await HTTP2TestClient.connect(
                port: proxy.port, streamWindowSize: 4 << 20, connectionWindowSize: 4 << 20,
                receiveBufferSize: 8192, bytesPerRead: Self.bytesPerRead, readPacer: pacer
            )
            defer { Task { try await client.close() } }
            try await pacer.readEvery(Self.readInterval)

            let started = NIODeadline.now()
            let response: HTTP2TestClient.Response
            do {
                response = try await client.send(method: "GET", path: "/slow")
            } catch {
                let elapsed = NIODeadline.now() - started
                Issue.record("the download failed after \(elapsed.nanoseconds / 1_000_000) ms (\(error)); send timeouts: \(try SendTimeoutTests.sendTimeouts(metrics))")
                return
            }
            let elapsed = NIODeadline.now() - started
            #expect(response.status == "200")
            #expect(response.body.count == Self.size)
            var checksum = StreamChecksum()
            checksum.add(response.body)
            #expect(checksum.value == StreamChecksum.pattern(count: Self.size))
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 0)
            // The scenario holds: the download lasted many timeouts.
            #expect(elapsed > Self.sendTimeout * 4, "the download took \(elapsed.nanoseconds / 1_000_000) ms")

            // The same client stops reading: its TCP acknowledges nothing more, and the stream is cut off.
            try await pacer.stop()
            let held = Task { try await client.send(method: "GET", path: "/stop") }
            try await eventually("the proxy cut the stream off") { try SendTimeoutTests.sendTimeouts(metrics) == 1 }
            try await eventually("legacy's connection closed") { legacy.closedConnectionCount == 1 }
            #expect(legacy.respondedCount == 1)

            // Reading again, the client finds its stream reset, and the connection answers a next one.
            try await pacer.readFreely()
            let outcome = await held.result
            #expect(throws: HTTP2TestClient.StreamReset.self) { try outcome.get() }
            let next = try await client.send(method: "GET", path: "/ok")
            #expect(next.status == "200")
            #expect(next.body == Array("ok".utf8))
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 1)
        }
    }

    @Test("on a TLS listener, a client reading far slower than a third of the proxy's send buffer per send_timeout gets the whole body: its TCP acknowledging bytes is progress; when it stops reading it is cut off")
    func tlsSlowReader() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream { head in .huge(bytes: head.uri == "/stop" ? SendTimeoutTests.huge : Self.size) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
            proxy.clientSendBufferSize = Self.sendBuffer
            proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
        }) { proxy in
            let pacer = ReadPacer()
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 8192, bytesPerRead: Self.bytesPerRead,
                tls: try certificates.makeClientConfiguration(), readPacer: pacer
            )
            defer { Task { try await client.close() } }
            try await pacer.readEvery(Self.readInterval)

            let started = NIODeadline.now()
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("the response head arrived") { SendTimeoutTests.headEnd(client.received) != nil || client.isClosed }
            let head = SendTimeoutTests.headEnd(client.received) ?? 0
            try await eventually("the whole body arrived") { client.receivedCount >= head + Self.size || client.isClosed }
            let elapsed = NIODeadline.now() - started
            #expect(!client.isClosed, "cut off after \(client.receivedCount) bytes, \(elapsed.nanoseconds / 1_000_000) ms")
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 0)
            let received = client.received
            let headEnd = try #require(SendTimeoutTests.headEnd(received))
            #expect(received.count - headEnd == Self.size)
            var checksum = StreamChecksum()
            checksum.add(received[headEnd...])
            #expect(checksum.value == StreamChecksum.pattern(count: Self.size))
            // The scenario holds: the download lasted many timeouts.
            #expect(elapsed > Self.sendTimeout * 4, "the download took \(elapsed.nanoseconds / 1_000_000) ms")

            // The same client stops reading: its TCP acknowledges nothing more, and it is cut off.
            try await pacer.stop()
            try await client.send("GET /stop HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("the proxy cut the client off") { client.isClosed }
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 1)
            try await eventually("legacy's connection closed") { legacy.closedConnectionCount == 1 }
            #expect(legacy.respondedCount == 1)
        }
    }
    #endif
}
