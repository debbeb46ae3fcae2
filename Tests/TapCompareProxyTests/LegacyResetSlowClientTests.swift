import MetricsTestKit
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

#if os(Linux)
/// Legacy resetting its connection in the middle of a body while the client reads slowly: the proxy holds legacy's
/// reads back then (its client cannot take more), so the reset is not found by a read. The client must still see its
/// response cut short at once, not wait for `listener.send_timeout` (set far beyond the test here), and what it got
/// must be legacy's own bytes. The fast-client case is in `LegacyFaultTests` and `PassThroughTests`.
@Suite("Legacy resetting while a slow client reads", .timeLimit(.minutes(TestTiming.minutes(1))))
struct LegacyResetSlowClientTests {
    /// Declared by legacy's head; legacy writes only ``written`` of it before resetting.
    static let size = 4 << 20
    static let written = 2 << 20

    @Test("legacy resetting mid-body while the client reads at 200 KiB/s (the proxy holding legacy's reads back) cuts the client's connection short of the declared length, long before send_timeout; the client got a prefix of legacy's body, the failure is counted and nothing is compared")
    func resetWhileTheClientIsSlow() async throws {
        let body = (0..<Self.size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        let legacy = try await ScriptedUpstream { head in
            head.uri == "/big" ? .resetMidBody(ScriptedResponse(body: body), afterBytes: Self.written) : .respond(ScriptedResponse(body: "ok"))
        }
        defer { Task { try await legacy.shutdown() } }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "candidate")) }
        defer { Task { try await candidate.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { proxy, _ in
            // Far beyond the test: a client cut off here was cut by legacy's reset, not by the send clock.
            proxy.sendTimeout = .seconds(600)
            proxy.clientSendBufferSize = 64 << 10
        }) { proxy in
            let pacer = ReadPacer()
            let client = try await RawTCP.connect(port: proxy.port, receiveBufferSize: 8192, bytesPerRead: 4 << 10, readPacer: pacer)
            defer { Task { try await client.close() } }
            try await pacer.readEvery(.milliseconds(20))
            try await client.send("GET /big HTTP/1.1\r\nHost: t\r\nX-Request-Id: slow-reset\r\n\r\n")

            // At 200 KiB/s the 2 MiB legacy wrote would take over 10 s to read; the reset ends the response first.
            try await eventually("the proxy cut the client's connection", timeout: .seconds(30), poll: .milliseconds(20)) { client.isClosed }
            let received = client.received
            let headEnd = try #require(Self.endOfHead(received), "the client got legacy's head (\(received.count) bytes)")
            let head = String(decoding: received[..<headEnd], as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 200"))
            #expect(head.lowercased().contains("content-length: \(Self.size)"))
            let got = received[headEnd...]
            #expect(got.count < Self.written, "cut short: \(got.count) of the \(Self.written) bytes legacy wrote")
            #expect(got.elementsEqual(body.prefix(got.count)), "the client's bytes are legacy's")

            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "closed_early")]).totalValue == 1)
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 0)
            // A response cut short is never compared: the next request's exchange is the first to reach the sink.
            let next = try await proxy.send(.GET, "/after")
            #expect(next.status == 200)
            let exchanges = await proxy.sink.waitFor(count: 1)
            #expect(exchanges.map(\.request.uri) == ["/after"])
        }
    }

    /// Where the body starts: just past the head's blank line.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= marker.count else { return nil }
        for i in 0...(bytes.count - marker.count) where bytes[i..<(i + marker.count)].elementsEqual(marker) { return i + marker.count }
        return nil
    }
}
#endif
