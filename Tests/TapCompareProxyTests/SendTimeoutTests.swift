import Logging
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

/// `listener.send_timeout`: a client that takes none of its response is cut off, with the legacy call still
/// answering it, instead of holding its connection, legacy's connection, the exchange and a graceful shutdown
/// forever; a slow client that keeps taking bytes is not.
@Suite("Send timeout", .timeLimit(.minutes(TestTiming.minutes(1))))
struct SendTimeoutTests {
    /// Short, so the tests are quick; a timeout the tests expect to fire, so not scaled (``TestTiming``).
    static let sendTimeout = TimeAmount.milliseconds(300)
    /// Far more than the kernel buffers and the channel's watermark hold: legacy can only finish if the client reads.
    static let huge = 64 << 20
    /// A client's receive buffer (Linux doubles it): a client that stops reading is full after a few KiB.
    static let smallReceiveBuffer = 4096

    static func sendTimeouts(_ metrics: TestMetrics) throws -> Int64 {
        try metrics.expectCounter(ProxyMetrics.clientClosed, [("reason", "send_timeout")]).totalValue
    }

    static func skippedForSendTimeout(_ metrics: TestMetrics) throws -> Int64 {
        try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "send_timeout")]).totalValue
    }

    @Test("a client that sends a request and never reads is cut off after send_timeout: reset, legacy's connection closed (not pooled), the sampled exchange skipped as send_timeout, all counted; the next request is answered")
    func stalledClientIsCutOff() async throws {
        let legacy = try await ScriptedUpstream { head in
            head.uri == "/huge" ? .huge(bytes: Self.huge) : .respond(ScriptedResponse(body: "ok"))
        }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
        }) { proxy in
            // Both counters are there, at zero, from start-up.
            #expect(try Self.sendTimeouts(metrics) == 0)
            #expect(try Self.skippedForSendTimeout(metrics) == 0)

            let client = try await RawTCP.connect(port: proxy.port, receiveBufferSize: Self.smallReceiveBuffer, autoRead: false)
            try await client.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("the proxy cut the client off") { client.isClosed }
            #expect(try Self.sendTimeouts(metrics) == 1)
            #expect(try Self.skippedForSendTimeout(metrics) == 1)
            // Legacy's connection was closed mid-response, not pooled: legacy never finished its answer.
            try await eventually("legacy's connection closed") { legacy.closedConnectionCount == 1 }
            #expect(legacy.respondedCount == 0)

            let next = try await proxy.send(.GET, "/ok")
            #expect(next.status == 200)
            #expect(next.body == Array("ok".utf8))
            // On a new legacy connection; and only its exchange is compared, the cut one was abandoned.
            #expect(legacy.connectionCount == 2)
            let exchanges = await proxy.sink.waitFor(count: 1)
            #expect(exchanges.map(\.request.uri) == ["/ok"])
            #expect(try Self.sendTimeouts(metrics) == 1)
        }
    }

    @Test("a graceful shutdown with a client that never reads completes: the client holds it no longer than send_timeout")
    func shutdownIsBounded() async throws {
        let legacy = try await ScriptedUpstream { _ in .huge(bytes: Self.huge) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        // Long enough that the client is surely still connected when the shutdown begins, however slow the machine.
        let sendTimeout = TimeAmount.seconds(3)
        let server = ProxyServer(
            configuration: ProxyConfiguration(
                port: 0, legacy: try UpstreamURL(parsing: legacy.url), connectTimeout: TestTiming.localConnectAmount, sendTimeout: sendTimeout
            ),
            mirror: MirrorConfiguration(),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test"),
            sink: RecordingExchangeSink(),
            metricsFactory: metrics
        )
        let finished = NIOLockedValueBox(false)
        let run = Task {
            try await server.run()
            finished.withLockedValue { $0 = true }
        }
        let port = try await server.boundAddress().port!
        let client = try await RawTCP.connect(port: port, receiveBufferSize: Self.smallReceiveBuffer, autoRead: false)
        try await client.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
        await legacy.waitUntil { $0.requestCount == 1 }
        let connectedAtShutdown = !client.isClosed
        run.cancel()

        try await eventually("the graceful shutdown completed") { finished.withLockedValue { $0 } }
        #expect(connectedAtShutdown)
        #expect(try Self.sendTimeouts(metrics) == 1)
        try await eventually("the client was cut off") { client.isClosed }
        try await eventually("legacy's connection closed") { legacy.closedConnectionCount == 1 }
        try await run.value
    }

    @Test("a slow client that keeps taking a bit at a time gets the whole body, for longer than send_timeout; when it stops reading it is cut off")
    func slowClientIsNotCutOff() async throws {
        // At most 64 KiB every 20 ms (3.2 MiB/s): 12 MiB take at least 3.84 s, more than the timeout.
        let size = 12 << 20
        let bytesPerRead = 64 << 10
        let legacy = try await ScriptedUpstream { _ in .huge(bytes: size) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        // The client takes bytes every 20 ms, far more often than this; the margin is for a loaded machine's stalls
        // and for the kernel, which lets the proxy write again only once a good part of its send buffer drained
        // (up to a third of megabytes: about 0.4 s at this pace).
        let sendTimeout = TimeAmount.seconds(3)
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in proxy.sendTimeout = sendTimeout }) { proxy in
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 64 << 10, autoRead: false, bytesPerRead: bytesPerRead
            )
            let started = NIODeadline.now()
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            let reader = client.readEvery(.milliseconds(20))
            try await eventually("the whole body arrived") { client.receivedCount >= size || client.isClosed }
            reader.cancel()
            let elapsed = NIODeadline.now() - started
            #expect(!client.isClosed)
            #expect(try Self.sendTimeouts(metrics) == 0)
            let received = client.received
            let headEnd = try #require(Self.headEnd(received))
            #expect(received.count - headEnd == size)
            var checksum = StreamChecksum()
            checksum.add(received[headEnd...])
            #expect(checksum.value == StreamChecksum.pattern(count: size))
            // The scenario holds: the download took longer than the timeout, so only progress kept it going.
            #expect(elapsed > sendTimeout, "the download took \(elapsed.nanoseconds / 1_000_000) ms")

            // The same client stops reading: now it is cut off.
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("the proxy cut the client off") { client.isClosed }
            #expect(try Self.sendTimeouts(metrics) == 1)
        }

    }

    #if os(Linux)
    @Test("a client reading far slower than a third of the proxy's send buffer per send_timeout gets the whole body: its TCP acknowledging bytes is progress (TCP_INFO); when it stops reading it is cut off")
    func verySlowReaderIsNotCutOff() async throws {
        // The proxy's send buffer: 128 KiB asked, 256 KiB in the kernel. The kernel lets the proxy write again only
        // once about a third of it (~85 KiB) drained, the only progress the channel itself can see.
        let sendBuffer = 128 << 10
        // At most 2 KiB every 20 ms (100 KiB/s): about 60 KiB per send_timeout (600 ms here, twice the other tests':
        // the client's TCP acknowledges about every 80 ms, so a pause of the machine must last most of a timeout to
        // cut it), less than that third, so the channel sees nothing for ~0.85 s. The body is more than the send
        // buffer, the channel's 64 KiB and the client's receive buffer hold, so the response does stall; taking it
        // takes at least 3.84 s.
        let bytesPerRead = 2 << 10
        let size = 384 << 10
        let sendTimeout = Self.sendTimeout * 2
        let legacy = try await ScriptedUpstream { _ in .huge(bytes: size) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = sendTimeout
            proxy.clientSendBufferSize = sendBuffer
        }) { proxy in
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 8192, autoRead: false, bytesPerRead: bytesPerRead
            )
            let started = NIODeadline.now()
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            let reader = client.readEvery(.milliseconds(20))
            try await eventually("the response head arrived") { Self.headEnd(client.received) != nil || client.isClosed }
            let head = Self.headEnd(client.received) ?? 0
            try await eventually("the whole body arrived") { client.receivedCount >= head + size || client.isClosed }
            reader.cancel()
            let elapsed = NIODeadline.now() - started
            #expect(!client.isClosed, "cut off after \(client.receivedCount) bytes, \(elapsed.nanoseconds / 1_000_000) ms")
            #expect(try Self.sendTimeouts(metrics) == 0)
            let received = client.received
            let headEnd = try #require(Self.headEnd(received))
            #expect(received.count - headEnd == size)
            var checksum = StreamChecksum()
            checksum.add(received[headEnd...])
            #expect(checksum.value == StreamChecksum.pattern(count: size))
            // The scenario holds: the download lasted many timeouts.
            #expect(elapsed > sendTimeout * 4, "the download took \(elapsed.nanoseconds / 1_000_000) ms")

            // The same client stops reading: its TCP acknowledges nothing more, and it is cut off.
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            try await eventually("the proxy cut the client off") { client.isClosed }
            #expect(try Self.sendTimeouts(metrics) == 1)
        }
    }
    #endif

    @Test("an HTTP/2 client that never opens its stream's flow-control window is cut off the same way: the stream reset, legacy's connection closed, the exchange skipped, counted; the connection goes on")
    func http2StalledStream() async throws {
        let legacy = try await ScriptedUpstream { head in
            head.uri == "/huge" ? .huge(bytes: Self.huge) : .respond(ScriptedResponse(body: "ok"))
        }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            // No response frame of this stream is read, so it never sends a WINDOW_UPDATE.
            let paused = client.channel.eventLoop.makePromise(of: (any Channel).self)
            let held = Task { try await client.send(method: "GET", path: "/huge", pausedReads: paused) }
            _ = try await paused.futureResult.get()

            try await eventually("the proxy cut the stream off") { try Self.sendTimeouts(metrics) == 1 }
            let outcome = await held.result
            #expect(throws: HTTP2TestClient.StreamReset.self) { try outcome.get() }
            #expect(try Self.skippedForSendTimeout(metrics) == 1)
            try await eventually("legacy's connection closed") { legacy.closedConnectionCount == 1 }
            #expect(legacy.respondedCount == 0)

            // The connection goes on: a next stream is answered.
            let next = try await client.send(method: "GET", path: "/ok")
            #expect(next.status == "200")
            #expect(next.body == Array("ok".utf8))
            let exchanges = await proxy.sink.waitFor(count: 1)
            #expect(exchanges.map(\.request.uri) == ["/ok"])
        }
    }

    @Test("an HTTP/2 response legacy answered in full whose end waits on a closed window (the stream still writable): the stream is reset after send_timeout, and the exchange is compared all the same")
    func http2AnsweredInFullIsCompared() async throws {
        // The stream's window (65,535 bytes) and a little more, in small pieces: what waits for the window (the piece
        // that crosses it and the rest) stays under the stream's high watermark (8 KiB), so the stream never turns
        // unwritable, legacy's whole answer is read, and only the stream's end is left waiting. (Sent at once, the
        // answer would reach the stream as one frame past the watermark: the unwritable case of the test above.)
        let body = (0..<66_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let legacy = try await ScriptedUpstream { _ in
            .trickle(ScriptedResponse(body: body), bytesPerWrite: 2048, interval: .milliseconds(2))
        }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: body)) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let paused = client.channel.eventLoop.makePromise(of: (any Channel).self)
            let held = Task { try await client.send(method: "GET", path: "/whole", pausedReads: paused) }
            _ = try await paused.futureResult.get()

            try await eventually("the proxy cut the stream off") { try Self.sendTimeouts(metrics) == 1 }
            let outcome = await held.result
            #expect(throws: HTTP2TestClient.StreamReset.self) { try outcome.get() }
            // Legacy had answered in full: the comparison happens whatever the client does next.
            let exchange = try #require(await proxy.sink.waitFor(count: 1).first)
            #expect(exchange.request.uri == "/whole")
            #expect(Array(exchange.legacy.body.readableBytesView) == body)
            guard case .response(let answer, _) = exchange.candidate else {
                Issue.record("expected the candidate's answer, got \(exchange.candidate)")
                return
            }
            #expect(Array(answer.body.readableBytesView) == body)
            #expect(try Self.skippedForSendTimeout(metrics) == 0)
            // Legacy's connection went back to the pool with its answer complete.
            #expect(legacy.closedConnectionCount == 0)
        }
    }

    /// Where the body starts: after the response head's blank line (looked for in the first few KiB only).
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        let last = min(bytes.count, 4096) - separator.count
        guard last >= 0 else { return nil }
        for index in 0...last where bytes[index..<(index + separator.count)].elementsEqual(separator) {
            return index + separator.count
        }
        return nil
    }
}
