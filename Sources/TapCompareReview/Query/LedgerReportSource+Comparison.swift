import Foundation

extension LedgerReportSource {
    public func comparison(id: String) async throws -> ComparisonDetail? {
        guard let uuid = UUID(uuidString: id) else {
            throw ReviewError.invalidArgument("'\(id.prefix(64))' is not a comparison id (a UUID such as 0193a6f0-7c1e-7d2a-9b1c-0a1b2c3d4e5f)")
        }
        let d = self.dialect
        // `store` exists from schema version 4 on (the review never migrates the ledger it reads).
        let hasStores = try await self.stores.check(self.database)
        let hasVersions = try await self.candidateVersions.check(self.database)
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT \(d.uuidText("id")), \(d.timeText("recorded_at")), instance, request_id, method, route, path,
              legacy_status, candidate_status, legacy_ms, candidate_ms, outcome, reason, discrepancy_count,
              regression_count, request_sample, legacy_sample, candidate_sample, samples_truncated, run_id,
              \(d.uuidText("linked_comparison_id")), \(hasStores ? "store" : "NULL"), \(hasVersions ? "candidate_version" : "NULL")
            FROM \(d.table("comparisons")) WHERE id = 
            """)
        sql.bind(.uuid(uuid))
        guard let r = try await self.database.query(sql.sql, sql.binds).first else { return nil }
        var detail = ComparisonDetail(
            id: r.string(0) ?? "", recordedAt: r.date(1), instance: r.string(2) ?? "", requestId: r.string(3) ?? "",
            method: r.string(4) ?? "", route: r.string(5) ?? "", path: r.string(6) ?? "", legacyStatus: r.int(7),
            candidateStatus: r.int(8), legacyMs: r.double(9), candidateMs: r.double(10), outcome: r.string(11) ?? "",
            reason: r.string(12), discrepancyCount: r.int(13) ?? 0, regressionCount: r.int(14) ?? 0,
            requestSample: r.string(15), legacySample: r.string(16), candidateSample: r.string(17),
            samplesTruncated: r.bool(18), runId: r.string(19), linkedComparisonId: r.string(20), store: r.string(21),
            candidateVersion: r.string(22), discrepancies: [], storeChecks: []
        )
        var dsql = SQLBuilder(d)
        dsql.append("SELECT ordinal, path, field, kind, \(d.jsonText("legacy_value")), \(d.jsonText("candidate_value")), classification FROM \(d.table("discrepancies")) WHERE comparison_id = ")
        dsql.bind(.uuid(uuid))
        if d == .postgres, let at = detail.recordedAt {
            // The partition key lets Postgres read one day's partition instead of probing every one.
            dsql.append(" AND recorded_at = ")
            dsql.bind(.time(at))
        }
        dsql.append(" ORDER BY ordinal")
        detail.discrepancies = try await self.database.query(dsql.sql, dsql.binds).map { r in
            DiscrepancyDetail(ordinal: r.int(0) ?? 0, path: r.string(1) ?? "", field: r.string(2) ?? "", kind: r.string(3) ?? "",
                              legacyValue: r.string(4), candidateValue: r.string(5), classification: r.string(6) ?? "regression")
        }
        // A write lists its store checks; a store check links back through `linked_comparison_id`.
        if detail.store == nil {
            detail.storeChecks = try await self.storeCheckLinks(of: uuid, recordedAt: detail.recordedAt)
        }
        return detail
    }
}
