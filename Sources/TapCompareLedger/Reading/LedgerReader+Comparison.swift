import Foundation

extension LedgerReader {
    /// One comparison with its discrepancies (in the order recorded), or `nil` when there is none with that id.
    /// Reads ledgers of every schema version: `store` (version 4), `candidate_version` (version 7) and `grpc`
    /// (version 8) are `nil` before their migration.
    /// - Throws: ``LedgerError`` when the ledger cannot be read.
    public func comparison(id: UUID) async throws -> LedgerComparison? {
        let d = self.dialect
        // `store` exists from schema version 4 on (the reader never migrates the ledger it reads).
        let hasStores = try await self.stores.check(self.database)
        let hasVersions = try await self.candidateVersions.check(self.database)
        let hasGRPC = try await self.grpcColumns.check(self.database)
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT recorded_at, instance, request_id, method, route, path,
              legacy_status, candidate_status, legacy_ms, candidate_ms, outcome, reason, discrepancy_count,
              regression_count, request_sample, legacy_sample, candidate_sample, samples_truncated, run_id,
              \(d.uuidText("linked_comparison_id")), \(hasStores ? "store" : "NULL"), \(hasVersions ? "candidate_version" : "NULL"),
              \((hasGRPC ? LedgerGRPC.columns : LedgerGRPC.columns.map { _ in "NULL" }).joined(separator: ", "))
            FROM \(d.table("comparisons")) WHERE id = 
            """)
        sql.bind(.uuid(id))
        guard let r = try await self.rows(sql).first else { return nil }
        // `recorded_at` as stored (Postgres: a `timestamptz` to the microsecond, not the millisecond text), so the
        // comparison reads back the time it was written with.
        let recordedAt = r.date(0)
        var dsql = SQLBuilder(d)
        dsql.append("SELECT path, field, kind, \(d.jsonText("legacy_value")), \(d.jsonText("candidate_value")), classification FROM \(d.table("discrepancies")) WHERE comparison_id = ")
        dsql.bind(.uuid(id))
        if d == .postgres {
            // The partition key lets Postgres read one day's partition instead of probing every one (pruned when the
            // statement runs). Taken from the row itself: a time bound from Swift could miss it by a microsecond.
            dsql.append(" AND recorded_at = (SELECT recorded_at FROM \(d.table("comparisons")) WHERE id = ")
            dsql.bind(.uuid(id))
            dsql.append(")")
        }
        dsql.append(" ORDER BY ordinal")
        let discrepancies = try await self.rows(dsql).map { r in
            LedgerDiscrepancy(path: r.string(0) ?? "", field: r.string(1) ?? "", kind: r.string(2) ?? "",
                              legacyValue: r.string(3), candidateValue: r.string(4), classification: r.string(5) ?? "regression")
        }
        return LedgerComparison(
            id: id, recordedAt: recordedAt ?? Date(timeIntervalSince1970: 0), instance: r.string(1) ?? "", requestID: r.string(2) ?? "",
            method: r.string(3) ?? "", route: r.string(4) ?? "", path: r.string(5) ?? "", legacyStatus: r.int(6),
            candidateStatus: r.int(7), legacyMilliseconds: r.double(8), candidateMilliseconds: r.double(9), outcome: r.string(10) ?? "",
            reason: r.string(11), discrepancyCount: r.int(12) ?? 0, regressionCount: r.int(13) ?? 0,
            requestSample: r.string(14), legacySample: r.string(15), candidateSample: r.string(16),
            samplesTruncated: r.bool(17), runID: r.string(18), linkedComparisonID: r.string(19).flatMap(UUID.init(uuidString:)),
            store: r.string(20), candidateVersion: r.string(21), grpc: Self.grpc(r, from: 22), discrepancies: discrepancies
        )
    }

    /// The gRPC columns (``LedgerGRPC/columns``) starting at `first`: `nil` for an HTTP row (or a ledger before
    /// version 8); the candidate's side `nil` when its columns are NULL (it did not answer).
    static func grpc(_ r: LedgerReadRow, from first: Int) -> LedgerGRPC? {
        guard r.string(first) == "grpc" else { return nil }
        let legacy = LedgerGRPCAnswer(status: r.int(first + 1), message: r.string(first + 3), messages: r.string(first + 5), omittedMessages: r.int(first + 7) ?? 0)
        let candidate = r.int(first + 8).map {
            LedgerGRPCAnswer(status: r.int(first + 2), message: r.string(first + 4), messages: r.string(first + 6), omittedMessages: $0)
        }
        return LedgerGRPC(legacy: legacy, candidate: candidate)
    }
}
