import MetricsTestKit
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

@Suite("Proxy metrics", .timeLimit(.minutes(TestTiming.minutes(1))))
struct MetricsTests {
    @Test("requests, latencies, mirrored calls, skips and in-flight gauges are counted under route templates")
    func counted() async throws {
        let legacy = try await ScriptedUpstream { head in
            head.uri.hasSuffix("/missing") ? .respond(ScriptedResponse(status: 404, reason: "Not Found", body: "no")) : .respond(ScriptedResponse(body: "ok"))
        }
        let candidate = try await ScriptedUpstream { head in
            head.uri.hasSuffix("/3") ? .close : .respond(ScriptedResponse(body: "ok"))
        }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        let route = "GET /api/v1/comments/{id}"
        let routes = RouteTable(entries: [.init(template: try RouteTemplate(parsing: route), value: RoutePolicy())], fallback: RoutePolicy())
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { _, mirror in mirror.routes = routes }) { proxy in
            for id in 1...3 { _ = try await proxy.send(.GET, "/api/v1/comments/\(id)") }
            _ = try await proxy.send(.GET, "/api/v1/comments/missing")
            _ = try await proxy.send(.POST, "/api/v1/comments", body: Array("{}".utf8))
            await proxy.sink.waitFor(count: 4)

            #expect(try metrics.expectCounter(ProxyMetrics.requests, [("route", route), ("status", "200")]).totalValue == 3)
            #expect(try metrics.expectCounter(ProxyMetrics.requests, [("route", route), ("status", "404")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.requests, [("route", "POST /api/v1/comments"), ("status", "200")]).totalValue == 1)
            #expect(try metrics.expectTimer(ProxyMetrics.legacyLatency, [("route", route)]).values.count == 4)
            #expect(try metrics.expectCounter(ProxyMetrics.mirrored, [("route", route)]).totalValue == 4)
            #expect(try metrics.expectTimer(ProxyMetrics.candidateLatency, [("route", route)]).values.count == 3)
            #expect(try metrics.expectCounter(ProxyMetrics.candidateErrors, [("route", route)]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "unsafe_method")]).totalValue == 1)
            #expect(try metrics.expectMeter(ProxyMetrics.inFlight, [("side", "legacy")]).lastValue == 0)
            #expect(try metrics.expectMeter(ProxyMetrics.inFlight, [("side", "candidate")]).lastValue == 0)
            // Labels are templates, never raw paths.
            #expect(throws: (any Error).self) {
                try metrics.expectCounter(ProxyMetrics.requests, [("route", "GET /api/v1/comments/1"), ("status", "200")])
            }
        }
    }
}
