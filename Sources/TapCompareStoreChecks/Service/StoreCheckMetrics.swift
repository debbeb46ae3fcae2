import Metrics

/// `tapcompare_store_checks_total{store, result}` and `tapcompare_store_errors_total{store, side, reason}`:
/// every check ends in exactly one result, and every failed read is counted by store, side and reason.
struct StoreCheckMetrics: Sendable {
    static let checks = "tapcompare_store_checks_total"
    static let errors = "tapcompare_store_errors_total"

    /// How a check ended: `match`, `mismatch`, `missing_both`, `legacy_error`, `candidate_error`, or a skip
    /// (`skipped_write_failed`, `skipped_candidate_failed`, `skipped_candidate_not_called`, `skipped_no_value`,
    /// `skipped_queue_full`, `skipped_budget`, `skipped_shutting_down`).
    func checked(store: String, result: String) {
        Counter(label: Self.checks, dimensions: [("store", store), ("result", result)]).increment()
    }

    func failed(store: String, side: StoreSide, reason: String) {
        Counter(label: Self.errors, dimensions: [("store", store), ("side", side.rawValue), ("reason", reason)]).increment()
    }
}
