import Foundation

/// Whether a route may be switched to the candidate.
public enum VerdictStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// The regression bound is under the target, there are enough comparisons and the latency holds.
    case ready
    /// Something blocks it: regressions above the target, or the candidate's p99 too slow.
    case notReady = "not_ready"
    /// Nothing blocks it yet, but the evidence is too thin to say it is ready.
    case notEnoughData = "not_enough_data"

    /// How tables and pages show it.
    public var label: String {
        switch self {
        case .ready: "ready"
        case .notReady: "not ready"
        case .notEnoughData: "not enough data"
        }
    }
}

/// One route's verdict over the window (issue 19): the evidence, the judgement and what is missing.
public struct RouteVerdict: Sendable, Codable, Hashable {
    public var route: String
    /// For a store check (`"POST /api/v1/comments @comments_db"`): its write route; absent for HTTP routes.
    public var writeRoute: String?
    public var status: VerdictStatus
    /// Compared requests (outcome `match` or `mismatch`) in the window.
    public var compared: Int
    /// Of those, comparisons with at least one discrepancy classified `regression` (noise and races excluded).
    public var regressed: Int
    /// `regressed / compared`, 0 when nothing was compared.
    public var regressionRate: Double
    /// The one-sided Wilson upper bound of the regression rate at ``confidence`` (1 when nothing was compared).
    public var upperBound: Double
    /// The target the bound is held to (`cutover.max_regression_rate`, or the route's own in `cutover.routes`).
    public var target: Double
    public var confidence: Double
    public var minComparisons: Int
    /// The candidate p99 may be at most legacy's × this (`cutover.max_latency_ratio` or the route's own); also
    /// given for store checks and routes without percentiles, so every route shows its whole target.
    public var maxLatencyRatio: Double
    /// The `cutover.routes` key whose targets this route was judged against (its own, or for a store check its
    /// write route's); absent when it was judged against the `cutover:` values.
    public var customTarget: String?
    /// The latency condition; absent for store checks (they have no latency).
    public var latency: LatencyVerdict?
    /// What blocks the route: every field and kind with regressions, most first.
    public var blockers: [VerdictBlocker]
    /// The route's problems (``ProblemSignature``: regressions grouped by field, kind and value shape), most
    /// comparisons first: the signatures that block it.
    public var problems: [ProblemSignature] = []
    /// One sentence per reason the route is not ready or lacks data.
    public var reasons: [String]
    /// For `not_enough_data`: how many more compared requests, with no further regression, bring the bound under
    /// the target and the count to ``minComparisons``.
    public var moreComparisonsNeeded: Int?
    /// Compared requests per hour over the route's span in the window; absent with fewer than two.
    public var comparedPerHour: Double?
    /// ``moreComparisonsNeeded`` at ``comparedPerHour``, in seconds.
    public var estimatedSeconds: Double?
    public var firstSeen: Date?
    public var lastSeen: Date?
}

/// Candidate p99 against legacy p99 × the allowed ratio.
public struct LatencyVerdict: Sendable, Codable, Hashable {
    public var legacyP99: Double?
    public var candidateP99: Double?
    /// `cutover.max_latency_ratio`.
    public var maxRatio: Double
    /// `candidate p99 / legacy p99`, absent without both.
    public var ratio: Double?
    /// Whether the condition holds; absent when there are no percentiles to judge.
    public var holds: Bool?
}

/// A field and kind with regressions on a route: what a reviewer must fix or turn into a rule.
public struct VerdictBlocker: Sendable, Codable, Hashable {
    public var field: String
    public var kind: String
    /// Discrepancy rows classified `regression`.
    public var regressions: Int
    /// Comparisons where the field differed (any classification).
    public var comparisons: Int
}

/// The verdicts of a window: one per route, store checks listed after their write route.
public struct VerdictReport: Sendable, Codable, Hashable {
    public var schemaVersion: Int
    public var generatedAt: Date
    public var ledger: String
    public var filter: ReportFilter
    public var policy: CutoverPolicy
    /// The worst status among ``routes``: `not_ready` before `not_enough_data` before `ready`; `not_enough_data`
    /// when there are no routes.
    public var status: VerdictStatus
    public var routes: [RouteVerdict]

    public static let currentSchemaVersion = 1

    /// `tapcompare verdict`'s exit status: 0 ready, 1 not ready, 3 not enough data.
    public var exitCode: Int32 {
        switch self.status {
        case .ready: 0
        case .notReady: 1
        case .notEnoughData: 3
        }
    }
}
