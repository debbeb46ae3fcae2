import Foundation
import TapCompareCore

/// What a report covers: a time window, optionally one route or one replay run, optionally one classification.
public struct ReportQuery: Sendable, Hashable {
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
    /// count as HTTP traffic. Set by ``LedgerReportSource`` itself, never by a caller.
    var excludedRoutes: [String] = []

    public init(from: Date? = nil, to: Date? = nil, route: String? = nil, runID: String? = nil, classification: Classification? = nil) {
        self.from = from
        self.to = to
        self.route = route
        self.runID = runID
        self.classification = classification
    }
}
