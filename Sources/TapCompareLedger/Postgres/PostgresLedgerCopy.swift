import Foundation
import NIOCore

/// A batch's `comparisons` and `discrepancies` rows as `COPY … FROM STDIN` text (``PostgresCopyText``), with the
/// column lists they fill.
///
/// `COPY` is PostgreSQL's fastest way in, but it cannot skip rows that already exist (`ON CONFLICT` is an
/// `INSERT` clause). ``PostgresLedgerStore`` keeps inserts idempotent by looking up which of the batch's ids are
/// stored first, in the same transaction, and copying only the others (re-encoded: a replay is rare). That costs one
/// index look-up per comparison, so a batch straight from the queue skips it and lets the primary key catch a
/// stored row (then it is written again with the look-up); copying into a staging table and moving the rows with
/// `INSERT … SELECT … ON CONFLICT DO NOTHING` was measured slower (the rows are written twice).
struct PostgresLedgerCopy: Sendable {
    /// `comparisons` columns in the order each row holds them.
    let comparisonColumns: [String]
    let comparisons: ByteBuffer
    let comparisonRows: Int
    let discrepancies: ByteBuffer
    let discrepancyRows: Int

    static let baseComparisonColumns = [
        "id", "recorded_at", "instance", "request_id", "method", "route", "path", "legacy_status", "candidate_status",
        "legacy_ms", "candidate_ms", "outcome", "reason", "discrepancy_count", "regression_count", "request_sample",
        "legacy_sample", "candidate_sample", "samples_truncated", "run_id", "linked_comparison_id",
    ]
    static let discrepancyColumns = [
        "comparison_id", "ordinal", "recorded_at", "route", "path", "field", "kind", "legacy_value", "candidate_value",
        "classification",
    ]

    init(_ batch: [LedgerComparison]) {
        // A batch writes `store` (schema version 4) only when it holds a store check, `candidate_version`
        // (version 7) only when it holds a version and the gRPC columns (version 8) only when it holds a gRPC call,
        // so a ledger that is still being upgraded (rows written, then migrated) takes what older writers wrote.
        let withStore = batch.contains { $0.store != nil }
        let withVersion = batch.contains { $0.candidateVersion != nil }
        let withGRPC = batch.contains { $0.grpc != nil }
        self.comparisonColumns = Self.baseComparisonColumns + (withStore ? ["store"] : []) + (withVersion ? ["candidate_version"] : [])
            + (withGRPC ? LedgerGRPC.columns : [])

        var sampleBytes = 0
        var discrepancyCount = 0
        for c in batch {
            sampleBytes += (c.requestSample?.utf8.count ?? 0) + (c.legacySample?.utf8.count ?? 0) + (c.candidateSample?.utf8.count ?? 0)
                + (c.grpc?.legacy.messages?.utf8.count ?? 0) + (c.grpc?.candidate?.messages?.utf8.count ?? 0)
            discrepancyCount += c.discrepancies.count
        }
        var rows = PostgresCopyText(capacity: batch.count * 256 + sampleBytes + sampleBytes / 16)
        for c in batch {
            rows.uuid(c.id)
            rows.timestamp(c.recordedAt)
            rows.text(c.instance)
            rows.text(c.requestID)
            rows.text(c.method)
            rows.text(c.route)
            rows.text(c.path)
            rows.integer(c.legacyStatus)
            rows.integer(c.candidateStatus)
            rows.double(c.legacyMilliseconds)
            rows.double(c.candidateMilliseconds)
            rows.text(c.outcome)
            rows.text(c.reason)
            rows.integer(c.discrepancyCount)
            rows.integer(c.regressionCount)
            rows.text(c.requestSample)
            rows.text(c.legacySample)
            rows.text(c.candidateSample)
            rows.bool(c.samplesTruncated)
            rows.text(c.runID)
            rows.uuid(c.linkedComparisonID)
            if withStore { rows.text(c.store) }
            if withVersion { rows.text(c.candidateVersion) }
            if withGRPC {
                // In the order of ``LedgerGRPC/columns``.
                rows.text(c.grpc == nil ? "http" : "grpc")
                rows.integer(c.grpc?.legacy.status)
                rows.integer(c.grpc?.candidate?.status)
                rows.text(c.grpc?.legacy.message)
                rows.text(c.grpc?.candidate?.message)
                rows.text(c.grpc?.legacy.messages)
                rows.text(c.grpc?.candidate?.messages)
                rows.integer(c.grpc?.legacy.omittedMessages)
                rows.integer(c.grpc?.candidate?.omittedMessages)
            }
            rows.endRow()
        }
        self.comparisons = rows.buffer
        self.comparisonRows = batch.count

        var discrepancies = PostgresCopyText(capacity: discrepancyCount * 160)
        for c in batch {
            for (ordinal, d) in c.discrepancies.enumerated() {
                discrepancies.uuid(c.id)
                discrepancies.integer(ordinal)
                discrepancies.timestamp(c.recordedAt)
                discrepancies.text(c.route)
                discrepancies.text(d.path)
                discrepancies.text(d.field)
                discrepancies.text(d.kind)
                // JSON text; the `jsonb` column parses it as `text::jsonb` would.
                discrepancies.text(d.legacyValue)
                discrepancies.text(d.candidateValue)
                discrepancies.text(d.classification)
                discrepancies.endRow()
            }
        }
        self.discrepancies = discrepancies.buffer
        self.discrepancyRows = discrepancyCount
    }
}
