import Foundation

/// Judges one route against a ``CutoverPolicy`` (the route's effective one: ``CutoverPolicy/effective(route:writeRoute:)``,
/// applied by ``VerdictAssembler``). Pure: the figures come from the report (``VerdictAssembler``),
/// so every rule is decided here once for both backends and unit-tested without a ledger.
///
/// - `not ready` when the observed regression rate is above the target (there is a bug to fix or a rule to
///   write, however few the comparisons), or when the candidate's p99 exceeds legacy's × the allowed ratio over
///   at least `min_comparisons` requests;
/// - otherwise `not enough data` while the route has fewer than `min_comparisons` compared requests or the
///   Wilson upper bound is still above the target, with the comparisons still needed (``WilsonBound/trialsNeeded(failures:target:confidence:atLeast:)``,
///   assuming no further regression) and the time they take at the route's traffic;
/// - otherwise `ready`.
public enum VerdictJudge {
    /// What the judgement rests on, for one route.
    public struct Evidence: Sendable, Hashable {
        public var route: String
        public var writeRoute: String?
        public var compared: Int
        public var regressed: Int
        public var fields: [FieldReport]
        /// `nil` for store checks, which have no latency.
        public var latency: LatencyComparison?
        public var firstSeen: Date?
        public var lastSeen: Date?

        public init(route: String, writeRoute: String? = nil, compared: Int, regressed: Int, fields: [FieldReport] = [],
                    latency: LatencyComparison? = nil, firstSeen: Date? = nil, lastSeen: Date? = nil) {
            self.route = route
            self.writeRoute = writeRoute
            self.compared = compared
            self.regressed = regressed
            self.fields = fields
            self.latency = latency
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }
    }

    public static func judge(_ e: Evidence, policy: CutoverPolicy) -> RouteVerdict {
        let target = policy.maxRegressionRate
        let rate = e.compared == 0 ? 0 : Double(e.regressed) / Double(e.compared)
        let bound = WilsonBound.upper(failures: e.regressed, trials: e.compared, confidence: policy.confidence)
        let latency = e.latency.map { Self.latency($0, maxRatio: policy.maxLatencyRatio) }
        let blockers = e.fields.filter { $0.regressions > 0 }
            .map { VerdictBlocker(field: $0.field, kind: $0.kind, regressions: $0.regressions, comparisons: $0.comparisons) }
            .sorted { ($0.regressions, $1.field, $1.kind) > ($1.regressions, $0.field, $0.kind) }
        let confidence = String(format: "%g%%", policy.confidence * 100)

        var reasons: [String] = []
        var status = VerdictStatus.ready
        if e.compared > 0 && rate > target {
            status = .notReady
            reasons.append("regression rate \(Formatting.percent(rate)) (\(e.regressed) of \(e.compared)) is above the target \(Formatting.percent(target))")
        }
        let slow = latency?.holds == false
        if slow, let l = latency, let c = l.candidateP99, let g = l.legacyP99 {
            let sentence = "candidate p99 \(Formatting.milliseconds(c)) exceeds legacy p99 \(Formatting.milliseconds(g)) × \(Formatting.number(policy.maxLatencyRatio))"
            if e.compared >= policy.minComparisons {
                status = .notReady
                reasons.append(sentence)
            } else {
                reasons.append(sentence + " (judged once \(policy.minComparisons) requests are compared)")
            }
        }
        var needed: Int?
        if status != .notReady && (e.compared < policy.minComparisons || bound > target) {
            status = .notEnoughData
            if e.compared < policy.minComparisons {
                reasons.insert("\(e.compared) of the \(policy.minComparisons) comparisons required", at: 0)
            }
            if bound > target {
                reasons.append("the regression rate's upper bound at \(confidence) confidence, \(Formatting.percent(bound)), is above the target \(Formatting.percent(target))")
            }
            if let total = WilsonBound.trialsNeeded(failures: e.regressed, target: target, confidence: policy.confidence, atLeast: max(policy.minComparisons, e.compared)) {
                needed = total - e.compared
            }
        }
        var perHour: Double?
        if e.compared >= 2, let first = e.firstSeen, let last = e.lastSeen, last > first {
            perHour = Double(e.compared) / last.timeIntervalSince(first) * 3600
        }
        return RouteVerdict(
            route: e.route, writeRoute: e.writeRoute, status: status, compared: e.compared, regressed: e.regressed,
            regressionRate: rate, upperBound: bound, target: target, confidence: policy.confidence,
            minComparisons: policy.minComparisons, maxLatencyRatio: policy.maxLatencyRatio, latency: latency, blockers: blockers, reasons: reasons,
            moreComparisonsNeeded: needed, comparedPerHour: perHour,
            estimatedSeconds: needed.flatMap { n in perHour.map { Double(n) / $0 * 3600 } },
            firstSeen: e.firstSeen, lastSeen: e.lastSeen
        )
    }

    static func latency(_ l: LatencyComparison, maxRatio: Double) -> LatencyVerdict {
        let legacy = l.legacy?.p99, candidate = l.candidate?.p99
        var verdict = LatencyVerdict(legacyP99: legacy, candidateP99: candidate, maxRatio: maxRatio, ratio: nil, holds: nil)
        if let legacy, let candidate {
            verdict.ratio = legacy > 0 ? candidate / legacy : nil
            verdict.holds = candidate <= legacy * maxRatio
        }
        return verdict
    }
}
