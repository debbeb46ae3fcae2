import Foundation
import TapCompareLedger

/// One write route's store checks: the row of the migration's write matrix for each store its writes land in
/// (`verify.stores:`, issue 14).
///
/// Store checks are comparisons of their own in the ledger (`comparisons.store` set, route
/// `"<write route> @<store>"`), but they are not HTTP requests: they are kept out of ``Report/overview``,
/// ``Report/timeline`` and ``Report/routes`` (their counts, rates and latency) and reported here instead, so a
/// store check never moves an HTTP route's mismatch rate.
public struct StoreCheckRoute: Sendable, Codable, Hashable {
    /// The write's route template, `POST /api/v1/comments`.
    public var writeRoute: String
    /// One row per store, by store name.
    public var stores: [StoreCheckRow]
}

/// The store checks of one write route in one store, by outcome.
///
/// `compared = matched + regressions + races + noise`; `missing` is a view by kind and overlaps those columns
/// (a root `missing_in_candidate` is also a regression unless classified otherwise). `comparisons = compared +
/// errors + skipped`.
public struct StoreCheckRow: Sendable, Codable, Hashable {
    /// The `stores:` entry's name.
    public var store: String
    /// The route the ledger records these checks under, `POST /api/v1/comments @comments_db` (what
    /// `/api/v1/routes/{route}/fields` and `report --route` take).
    public var route: String
    /// Every store check in the window, whatever its outcome.
    public var comparisons: Int
    /// Both sides were read (outcome `match` or `mismatch`).
    public var compared: Int
    /// Outcome `match` (including nothing found on either side).
    public var matched: Int
    /// Checks with at least one discrepancy classified `regression`.
    public var regressions: Int
    /// Mismatches without a regression and with at least one `race` (a production write moved the record).
    public var races: Int
    /// Mismatches whose discrepancies are all `noise`.
    public var noise: Int
    /// Checks with a root `missing_in_candidate` or `missing_in_legacy` discrepancy: the record is on one side
    /// only.
    public var missing: Int
    /// A store could not be read: legacy's (outcome `skipped`, reason `legacy_store_error: …`) or the
    /// candidate's (outcome `candidate_error` or `candidate_timeout`, reason `candidate_store_error: …`).
    public var errors: Int
    /// Of ``errors``, legacy's store failed.
    public var legacyErrors: Int
    /// Of ``errors``, the candidate's store failed or timed out.
    public var candidateErrors: Int
    /// Not compared for another reason (`write_failed`, `store_check_no_value…`, `store_check_queue_full`, …).
    public var skipped: Int
    /// `regressions / compared`, 0 when nothing was compared.
    public var mismatchRate: Double
    /// Errors and skips by reason, most first (at most ``StoreCheckRow/maximumReasons``).
    public var reasons: [ReasonCount]
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// The store's differing fields by impact, with examples (only in the full report; empty in summaries and
    /// `/api/v1/stores`).
    public var fields: [FieldReport]

    /// Most reasons listed per row (reasons carry the store's error message, which can vary).
    public static let maximumReasons = 5
}

/// A store check of a write, listed on the write's comparison (``ComparisonDetail/storeChecks``).
public typealias StoreCheckLink = LedgerStoreCheckLink
