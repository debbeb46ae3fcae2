import Foundation

/// One row of the grouped comparisons scan (``LedgerReader/outcomeGroups(_:)``): comparisons of one route,
/// outcome, status pair, instance and reason. Groups with the same key from disjoint parts of a window add up.
public struct LedgerOutcomeGroup: Sendable, Hashable {
    public var route: String
    public var outcome: String
    public var legacyStatus: Int?
    public var candidateStatus: Int?
    public var instance: String
    /// For errors and skips; `nil` for `match` and `mismatch`.
    public var reason: String?
    public var count: Int
    /// Mismatches with at least one `regression` discrepancy.
    public var regressed: Int
    public var first: Date?
    public var last: Date?
}
