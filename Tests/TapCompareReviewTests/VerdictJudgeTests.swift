import Foundation
import Testing
@testable import TapCompareReview

/// Each route's judgement from its figures, without a ledger.
struct VerdictJudgeTests {
    let policy = CutoverPolicy()
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    func latency(legacy: Double, candidate: Double) -> LatencyComparison {
        LatencyComparison(
            legacy: Percentiles(p50: legacy / 2, p90: legacy / 1.5, p99: legacy),
            candidate: Percentiles(p50: candidate / 2, p90: candidate / 1.5, p99: candidate), ratio: nil
        )
    }

    func field(_ name: String, regressions: Int, comparisons: Int) -> FieldReport {
        FieldReport(field: name, kind: "value_changed", occurrences: regressions, comparisons: comparisons, share: 0, firstSeen: nil, lastSeen: nil,
                    regressions: regressions, noise: 0, races: 0, examples: [], suggestion: nil, annotation: nil)
    }

    @Test func cleanRouteWithEnoughComparisonsIsReady() {
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 3000, regressed: 0, latency: self.latency(legacy: 100, candidate: 110)), policy: self.policy)
        #expect(v.status == .ready)
        #expect(v.reasons.isEmpty)
        #expect(v.moreComparisonsNeeded == nil)
        #expect(abs(v.upperBound - 0.00090104) < 1e-7)
        #expect(v.latency?.holds == true)
    }

    @Test func cleanRouteShortOfTheBoundNeedsMoreComparisonsAndTime() throws {
        // 1,000 clean comparisons over 10 hours: 100 per hour; 2,703 are needed, so 1,703 more, about 17 h.
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 1000, regressed: 0, latency: self.latency(legacy: 100, candidate: 90),
                                         firstSeen: self.t0, lastSeen: self.t0.addingTimeInterval(36_000)), policy: self.policy)
        #expect(v.status == .notEnoughData)
        #expect(v.moreComparisonsNeeded == 1703)
        #expect(v.comparedPerHour == 100)
        #expect(abs(try #require(v.estimatedSeconds) - 1703 * 36) < 1e-6)
        #expect(v.reasons.contains { $0.contains("upper bound at 95% confidence") })
    }

    @Test func belowTheMinimumIsNotEnoughDataEvenWithALooseTarget() {
        var loose = self.policy
        loose.maxRegressionRate = 0.05
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 400, regressed: 0), policy: loose)
        #expect(v.status == .notEnoughData)
        #expect(v.moreComparisonsNeeded == 600)
        #expect(v.reasons.first == "400 of the 1000 comparisons required")
        #expect(v.estimatedSeconds == nil)
    }

    @Test func regressionsAboveTheTargetBlockWithTheirFields() {
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 50, regressed: 3, fields: [
            self.field("$.name", regressions: 1, comparisons: 1), self.field("$.score", regressions: 3, comparisons: 3),
            self.field("$.request_id", regressions: 0, comparisons: 50),
        ]), policy: self.policy)
        #expect(v.status == .notReady)
        #expect(v.blockers.map(\.field) == ["$.score", "$.name"])
        #expect(v.reasons == ["regression rate 6.00% (3 of 50) is above the target 0.10%"])
        #expect(v.moreComparisonsNeeded == nil)
    }

    @Test func aSlowCandidateBlocksOnceThereAreEnoughComparisons() {
        let slow = self.latency(legacy: 100, candidate: 130)
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 5000, regressed: 0, latency: slow), policy: self.policy)
        #expect(v.status == .notReady)
        #expect(v.latency?.holds == false)
        #expect(v.reasons == ["candidate p99 130 ms exceeds legacy p99 100 ms × 1.2"])
        let early = VerdictJudge.judge(.init(route: "GET /a", compared: 500, regressed: 0, latency: slow), policy: self.policy)
        #expect(early.status == .notEnoughData)
        // At exactly the ratio it holds.
        let edge = VerdictJudge.judge(.init(route: "GET /a", compared: 5000, regressed: 0, latency: self.latency(legacy: 100, candidate: 120)), policy: self.policy)
        #expect(edge.status == .ready)
    }

    @Test func aRareRegressionUnderTheTargetWaitsForMoreData() {
        // 1 in 2,000 (0.05 %) is under 0.1 % but the bound (0.22 %) is not: 4,480 in all are needed.
        let v = VerdictJudge.judge(.init(route: "GET /a", compared: 2000, regressed: 1, fields: [self.field("$.x", regressions: 1, comparisons: 1)]), policy: self.policy)
        #expect(v.status == .notEnoughData)
        #expect(v.moreComparisonsNeeded == 2480)
        #expect(v.blockers.count == 1)
    }

    @Test func overallStatusIsTheWorstRoute() {
        let ready = VerdictJudge.judge(.init(route: "GET /a", compared: 3000, regressed: 0), policy: self.policy)
        let thin = VerdictJudge.judge(.init(route: "GET /b", compared: 10, regressed: 0), policy: self.policy)
        let bad = VerdictJudge.judge(.init(route: "GET /c", compared: 10, regressed: 1), policy: self.policy)
        #expect(VerdictAssembler.overall([ready]) == .ready)
        #expect(VerdictAssembler.overall([ready, thin]) == .notEnoughData)
        #expect(VerdictAssembler.overall([thin, bad, ready]) == .notReady)
        #expect(VerdictAssembler.overall([]) == .notEnoughData)
    }
}
