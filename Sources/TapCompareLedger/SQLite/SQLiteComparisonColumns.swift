import SQLiteNIO

/// The `comparisons` columns one multi-row `INSERT` of the SQLite store writes, and each row's binds in that order.
///
/// A column that is NULL (or its default) in every row of the chunk is left out of the statement, and the
/// database fills in the same value. A batch of matches — what a healthy migration mostly writes — has no reason,
/// samples, run or link, so SQLite parses, binds and encodes 7 of 21 values fewer per row (measured with
/// `tapcompare-bench ledger --discrepancies 0`, bench/results/ledger.md).
///
/// `store` (schema version 4), `candidate_version` (7) and the gRPC columns (8) are written only when some row
/// holds one for the same reason, and so that a ledger still being upgraded (rows written, then migrated) takes
/// what older writers wrote.
struct SQLiteComparisonColumns: Hashable {
    /// Some row has a `reason`.
    var reason = false
    /// Some row has a sample, or says its samples were cut (`request_sample`, `legacy_sample`, `candidate_sample`,
    /// `samples_truncated`).
    var samples = false
    /// Some row belongs to a replay run (`run_id`).
    var runID = false
    /// Some row links to another comparison (`linked_comparison_id`).
    var linked = false
    /// Some row is a store check (`store`).
    var store = false
    /// Some row names the candidate's version (`candidate_version`).
    var version = false
    /// Some row is a gRPC call (``LedgerGRPC/columns``).
    var grpc = false

    /// The columns every row writes.
    static let always = [
        "id", "recorded_at", "instance", "request_id", "method", "route", "path", "legacy_status", "candidate_status",
        "legacy_ms", "candidate_ms", "outcome", "discrepancy_count", "regression_count",
    ]

    /// The columns `rows` need.
    init(rows: some Sequence<LedgerComparison>) {
        for c in rows {
            self.reason = self.reason || c.reason != nil
            self.samples = self.samples || c.requestSample != nil || c.legacySample != nil || c.candidateSample != nil || c.samplesTruncated
            self.runID = self.runID || c.runID != nil
            self.linked = self.linked || c.linkedComparisonID != nil
            self.store = self.store || c.store != nil
            self.version = self.version || c.candidateVersion != nil
            self.grpc = self.grpc || c.grpc != nil
        }
    }

    /// The column names, in the order ``appendBinds(of:to:)`` binds them.
    var names: [String] {
        var names = Self.always
        if self.reason { names.append("reason") }
        if self.samples { names += ["request_sample", "legacy_sample", "candidate_sample", "samples_truncated"] }
        if self.runID { names.append("run_id") }
        if self.linked { names.append("linked_comparison_id") }
        if self.store { names.append("store") }
        if self.version { names.append("candidate_version") }
        if self.grpc { names += LedgerGRPC.columns }
        return names
    }

    /// Appends `c`'s values for ``names``.
    func appendBinds(of c: LedgerComparison, to binds: inout [SQLiteData]) {
        binds.append(.text(c.id.ledgerText))
        binds.append(.text(LedgerTime.format(c.recordedAt)))
        binds.append(.text(c.instance))
        binds.append(.text(c.requestID))
        binds.append(.text(c.method))
        binds.append(.text(c.route))
        binds.append(.text(c.path))
        binds.append(c.legacyStatus.map { .integer($0) } ?? .null)
        binds.append(c.candidateStatus.map { .integer($0) } ?? .null)
        binds.append(c.legacyMilliseconds.map { .float($0) } ?? .null)
        binds.append(c.candidateMilliseconds.map { .float($0) } ?? .null)
        binds.append(.text(c.outcome))
        binds.append(.integer(c.discrepancyCount))
        binds.append(.integer(c.regressionCount))
        if self.reason { binds.append(c.reason.map { .text($0) } ?? .null) }
        if self.samples {
            binds.append(c.requestSample.map { .text($0) } ?? .null)
            binds.append(c.legacySample.map { .text($0) } ?? .null)
            binds.append(c.candidateSample.map { .text($0) } ?? .null)
            binds.append(.integer(c.samplesTruncated ? 1 : 0))
        }
        if self.runID { binds.append(c.runID.map { .text($0) } ?? .null) }
        if self.linked { binds.append(c.linkedComparisonID.map { .text($0.ledgerText) } ?? .null) }
        if self.store { binds.append(c.store.map { .text($0) } ?? .null) }
        if self.version { binds.append(c.candidateVersion.map { .text($0) } ?? .null) }
        if self.grpc {
            // In the order of ``LedgerGRPC/columns``.
            let g = c.grpc
            binds.append(.text(g == nil ? "http" : "grpc"))
            binds.append(g?.legacy.status.map { .integer($0) } ?? .null)
            binds.append(g?.candidate?.status.map { .integer($0) } ?? .null)
            binds.append(g?.legacy.message.map { .text($0) } ?? .null)
            binds.append(g?.candidate?.message.map { .text($0) } ?? .null)
            binds.append(g?.legacy.messages.map { .text($0) } ?? .null)
            binds.append(g?.candidate?.messages.map { .text($0) } ?? .null)
            binds.append(g.map { .integer($0.legacy.omittedMessages) } ?? .null)
            binds.append(g?.candidate.map { .integer($0.omittedMessages) } ?? .null)
        }
    }
}
