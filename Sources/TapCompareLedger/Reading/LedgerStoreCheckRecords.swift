import Foundation

/// One row of the grouped store-check scan (``LedgerReader/storeCheckGroups(_:)``).
public struct LedgerStoreCheckGroup: Sendable, Hashable {
    public var route: String
    public var store: String
    public var outcome: String
    /// For errors and skips; `nil` for `match` and `mismatch`.
    public var reason: String?
    /// For mismatches: `regression`, `race` or `noise`, the leading classification of the discrepancies.
    public var classification: String?
    /// A root `missing_in_candidate` / `missing_in_legacy` discrepancy.
    public var missing: Bool
    public var count: Int
    public var first: Date?
    public var last: Date?
}

/// A store check of a write (``LedgerReader/storeCheckLinks(of:recordedAt:)``), as the write's comparison lists it.
public struct LedgerStoreCheckLink: Sendable, Codable, Hashable {
    public var id: String
    public var store: String
    public var recordedAt: Date?
    public var outcome: String
    public var reason: String?
    public var discrepancyCount: Int
    public var regressionCount: Int
}
