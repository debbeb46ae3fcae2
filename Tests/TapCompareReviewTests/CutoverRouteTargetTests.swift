import Foundation
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// Per-route targets (`cutover.routes`): each route is judged against its own entry over the `cutover:` values,
/// a store check against its write route's, and every verdict says which target it was judged against.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct CutoverRouteTargetTests {
    let strict = CutoverPolicy(routes: ["GET /strict": .init(maxRegressionRate: 0.0001)])

    @Test func theEffectivePolicyTakesTheRoutesOwnValuesAndKeepsTheRest() {
        let policy = CutoverPolicy(maxRegressionRate: 0.01, confidence: 0.99, routes: [
            "GET /a": .init(maxRegressionRate: 0.0005, minComparisons: 5000, maxLatencyRatio: 1.5),
            "POST /w": .init(minComparisons: 10),
            "POST /w @db": .init(confidence: 0.9),
        ])
        let a = policy.effective(route: "GET /a")
        #expect(a == CutoverPolicy(maxRegressionRate: 0.0005, confidence: 0.99, minComparisons: 5000, maxLatencyRatio: 1.5))
        #expect(policy.effective(route: "GET /other") == CutoverPolicy(maxRegressionRate: 0.01, confidence: 0.99))
        #expect(policy.targetKey(route: "GET /other") == nil)
        // A store check takes its write route's entry, unless it has its own.
        #expect(policy.effective(route: "POST /w @cache", writeRoute: "POST /w").minComparisons == 10)
        #expect(policy.targetKey(route: "POST /w @cache", writeRoute: "POST /w") == "POST /w")
        #expect(policy.effective(route: "POST /w @db", writeRoute: "POST /w") == CutoverPolicy(maxRegressionRate: 0.01, confidence: 0.9))
    }

    @Test func aStricterRouteTargetIsNotReadyWhereTheDefaultIsReady() {
        // 2 regressions in 10,000: rate 0.02 %, bound 0.06 % — under the default 0.1 %, above the route's 0.01 %.
        let e = VerdictJudge.Evidence(route: "GET /strict", compared: 10_000, regressed: 2)
        #expect(VerdictJudge.judge(e, policy: CutoverPolicy()).status == .ready)
        let v = VerdictJudge.judge(e, policy: self.strict.effective(route: e.route))
        #expect(v.status == .notReady)
        #expect(v.target == 0.0001)
        #expect(v.reasons == ["regression rate 0.020% (2 of 10000) is above the target 0.010%"])

        // A higher minimum: 3,000 clean comparisons are enough by default, not for a route asking 5,000.
        let clean = VerdictJudge.Evidence(route: "GET /a", compared: 3000, regressed: 0)
        #expect(VerdictJudge.judge(clean, policy: CutoverPolicy()).status == .ready)
        let more = VerdictJudge.judge(clean, policy: CutoverPolicy(routes: ["GET /a": .init(minComparisons: 5000)]).effective(route: "GET /a"))
        #expect(more.status == .notEnoughData && more.moreComparisonsNeeded == 2000)
        #expect(more.minComparisons == 5000)

        // A tighter latency ratio: p99 115 ms against 100 ms holds under × 1.2, not under × 1.1.
        let latency = LatencyComparison(legacy: Percentiles(p50: 50, p90: 80, p99: 100), candidate: Percentiles(p50: 55, p90: 90, p99: 115), ratio: nil)
        let timed = VerdictJudge.Evidence(route: "GET /a", compared: 3000, regressed: 0, latency: latency)
        #expect(VerdictJudge.judge(timed, policy: CutoverPolicy()).status == .ready)
        let slow = VerdictJudge.judge(timed, policy: CutoverPolicy(routes: ["GET /a": .init(maxLatencyRatio: 1.1)]).effective(route: "GET /a"))
        #expect(slow.status == .notReady && slow.maxLatencyRatio == 1.1 && slow.latency?.maxRatio == 1.1)
    }

    /// Over the seeded ledger: a loose `cutover:` makes the comments route ready; its own stricter target does
    /// not, and the verdict (every format) names the target it was judged against. The write's store checks
    /// follow the write route's entry.
    @Test func theAssemblerJudgesEachRouteAgainstItsOwnTarget() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            var policy = CutoverPolicy(maxRegressionRate: 0.9, minComparisons: 5)
            let loose = VerdictAssembler.assemble(report, policy: policy, routes: [ReviewFixture.commentRoute])
            #expect(loose.status == .ready)
            #expect(loose.routes.first?.customTarget == nil)

            policy.routes = [
                ReviewFixture.commentRoute: .init(maxRegressionRate: 0.1),
                ReviewFixture.createRoute: .init(minComparisons: 50),
            ]
            let v = VerdictAssembler.assemble(report, policy: policy, routes: [ReviewFixture.commentRoute, ReviewFixture.createRoute])
            let comments = try #require(v.routes.first { $0.route == ReviewFixture.commentRoute })
            #expect(comments.status == .notReady)
            #expect(comments.target == 0.1 && comments.minComparisons == 5 && comments.customTarget == ReviewFixture.commentRoute)
            #expect(comments.reasons == ["regression rate 30.00% (3 of 10) is above the target 10.00%"])
            for check in v.routes where check.writeRoute == ReviewFixture.createRoute {
                #expect(check.minComparisons == 50 && check.target == 0.9 && check.customTarget == ReviewFixture.createRoute, "\(check.route)")
            }
            #expect(v.policy.routes.count == 2)

            let table = try VerdictFormat.table.render(v, color: false)
            #expect(table.contains("2 routes have their own target (cutover.routes), marked (own)"))
            #expect(table.contains("≤ 10.00% @95%, ≥ 5, p99 × 1.2 (own)"))
            #expect(table.contains("above the target 10.00%"))
            let markdown = try VerdictFormat.markdown.render(v, color: false)
            #expect(markdown.contains("| ≤ 10.00% @95%, ≥ 5, p99 × 1.2 (own) |"))
            #expect(markdown.contains("| ≤ 90.00% @95%, ≥ 50, p99 × 1.2 (own) |"))
            let json = try VerdictFormat.json.render(v, color: false)
            #expect(json.contains(#""custom_target" : "GET /api/v1/comments/{id}""#))
            let decoded = try ReportJSON.decoder().decode(VerdictReport.self, from: Data(json.utf8))
            #expect(decoded.policy == policy)
            #expect(decoded.routes.map(\.target) == v.routes.map(\.target))
        }
    }

    @Test func theVerdictAPIAndTheCutoverViewShowEachRoutesTarget() async throws {
        let http = ReviewAPITests()
        let policy = CutoverPolicy(routes: [ReviewFixture.commentRoute: .init(maxRegressionRate: 0.05, minComparisons: 5000, maxLatencyRatio: 1.5)])
        try await http.withServer(cutover: policy) { base, _ in
            let answer = try http.json(try await http.call(base + "/api/v1/verdict").1)
            let routes = try #require(answer["routes"] as? [[String: Any]])
            let comments = try #require(routes.first { $0["route"] as? String == ReviewFixture.commentRoute })
            #expect(comments["target"] as? Double == 0.05)
            #expect(comments["min_comparisons"] as? Int == 5000)
            #expect(comments["max_latency_ratio"] as? Double == 1.5)
            #expect(comments["custom_target"] as? String == ReviewFixture.commentRoute)
            let posts = try #require(routes.first { $0["route"] as? String == ReviewFixture.postsRoute })
            #expect(posts["target"] as? Double == 0.001 && posts["custom_target"] == nil && posts["max_latency_ratio"] as? Double == 1.2)
            let routeTargets = (answer["policy"] as? [String: Any])?["routes"] as? [String: Any]
            #expect((routeTargets?[ReviewFixture.commentRoute] as? [String: Any])?["max_regression_rate"] as? Double == 0.05)

            let script = try await http.head(base + "/ui/app.js").2
            #expect(script.contains("<th>Target</th>"))
            #expect(script.contains("verdictTarget(r)"))
        }
    }
}
