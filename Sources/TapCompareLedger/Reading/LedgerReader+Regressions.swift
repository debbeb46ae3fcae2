import Foundation

extension LedgerReader {
    /// The window's regression rows (noise and races never form a problem), newest first, at most `limit`, and
    /// whether more were left out. Each carries its comparison's candidate version once the ledger has the column
    /// (schema version 7): the bounded rows are read first, then joined to their comparisons by primary key, so the
    /// version costs one lookup per row read, whatever the window.
    package func regressions(_ query: LedgerQuery, limit: Int) async throws -> (rows: [LedgerRegression], truncated: Bool) {
        let d = self.dialect
        let withVersions = try await self.candidateVersions.check(self.database)
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT \(d.uuidText("r.comparison_id")), \(d.timeText("r.recorded_at")), r.route, r.field, r.kind,
            \(d.jsonText("r.legacy_value")), \(d.jsonText("r.candidate_value")), \(withVersions ? "c.candidate_version" : "NULL")
            FROM (SELECT comparison_id, recorded_at, ordinal, route, field, kind, legacy_value, candidate_value
            FROM \(d.table("discrepancies")) WHERE classification = 'regression'
            """)
        self.appendFilters(&sql, query, table: "discrepancies")
        sql.append(" ORDER BY recorded_at DESC, comparison_id DESC, ordinal LIMIT ")
        sql.bind(.int(limit + 1))
        sql.append(") r")
        if withVersions {
            sql.append(" LEFT JOIN \(d.table("comparisons")) c ON c.id = r.comparison_id AND c.recorded_at = r.recorded_at")
        }
        sql.append(" ORDER BY r.recorded_at DESC, r.comparison_id DESC, r.ordinal")
        let rows = try await self.rows(sql).map { r in
            LedgerRegression(comparisonId: r.string(0) ?? "", recordedAt: r.date(1), route: r.string(2) ?? "", field: r.string(3) ?? "",
                             kind: r.string(4) ?? "", legacyValue: r.string(5), candidateValue: r.string(6), candidateVersion: r.string(7))
        }
        return (Array(rows.prefix(limit)), rows.count > limit)
    }
}
