import Foundation
import TapCompareCore

/// What a read of the ledger covers (a report's window): a time window, optionally one route or one replay run,
/// optionally one classification. TapCompareReview calls it `ReportQuery`.
public struct LedgerQuery: Sendable, Hashable {
    /// Inclusive start; `nil` = from the first comparison in the ledger.
    public var from: Date?
    /// Exclusive end; `nil` = up to the last comparison.
    public var to: Date?
    /// One route template (`GET /api/v1/comments/{id}`); `nil` = every route.
    public var route: String?
    /// One replay run (`comparisons.run_id`); `nil` = live traffic and every run.
    public var runID: String?
    /// Only discrepancies of this classification in the field lists and examples; `nil` = all. Route and overview
    /// figures are not filtered (the mismatch rate always counts regressions).
    public var classification: Classification?
    /// Routes left out of every figure: the store-check routes of the window (``StoreCheckRoute``), so they never
    /// count as HTTP traffic. Set by the review's report source itself, never by a caller.
    package var excludedRoutes: [String] = []

    public init(from: Date? = nil, to: Date? = nil, route: String? = nil, runID: String? = nil, classification: Classification? = nil) {
        self.from = from
        self.to = to
        self.route = route
        self.runID = runID
        self.classification = classification
    }
}
