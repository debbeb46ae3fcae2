import Foundation

extension LedgerReportSource {
    /// Most regression rows read to group into signatures (newest first): a bounded read whatever the window;
    /// beyond it ``Report/problemsTruncated`` says the oldest were left out.
    static let maximumSignatureRows = 100_000

    /// The window's regression rows (noise and races never form a problem), newest first, at most
    /// ``maximumSignatureRows``, and whether more were left out. Each carries its comparison's candidate version
    /// once the ledger has the column (schema version 7): the bounded rows are read first, then joined to their
    /// comparisons by primary key, so the version costs one lookup per row read, whatever the window.
    func regressionRows(_ query: ReportQuery) async throws -> (rows: [RegressionRow], truncated: Bool) {
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
        sql.bind(.int(Self.maximumSignatureRows + 1))
        sql.append(") r")
        if withVersions {
            sql.append(" LEFT JOIN \(d.table("comparisons")) c ON c.id = r.comparison_id AND c.recorded_at = r.recorded_at")
        }
        sql.append(" ORDER BY r.recorded_at DESC, r.comparison_id DESC, r.ordinal")
        let rows = try await self.database.query(sql.sql, sql.binds).map { r in
            RegressionRow(comparisonId: r.string(0) ?? "", recordedAt: r.date(1), route: r.string(2) ?? "", field: r.string(3) ?? "",
                          kind: r.string(4) ?? "", legacyValue: r.string(5), candidateValue: r.string(6), candidateVersion: r.string(7))
        }
        return (Array(rows.prefix(Self.maximumSignatureRows)), rows.count > Self.maximumSignatureRows)
    }

    /// `GET /api/v1/problems`: the window's problems without the rest of the report. The routes' compared counts
    /// (for each problem's share) come from the summary without latency, the cheapest read that has them.
    public func problems(_ query: ReportQuery) async throws -> ProblemList {
        let summary = try await self.summary(query, includeLatency: false)
        var compared = Dictionary(summary.routes.map { ($0.route, $0.compared) }, uniquingKeysWith: { a, _ in a })
        for check in summary.storeChecks {
            for row in check.stores { compared[row.route] = row.compared }
        }
        return try await self.problems(query, compared: compared)
    }

    /// The window's regressions grouped by signature, with the reviewers' statuses and the sets of problems
    /// comparisons carry: one place for the report and
    /// `/api/v1/problems`, so both list the same problems.
    /// - Parameter compared: compared requests per route (store checks by their own routes), for the shares.
    func problems(_ query: ReportQuery, compared: [String: Int]) async throws -> ProblemList {
        let regressions = try await self.regressionRows(query)
        var grouping = SignatureGrouper.grouping(regressions.rows, compared: compared)
        SignatureGrouper.apply(try await self.problemStatuses(), to: &grouping.problems)
        return ProblemList(
            problems: grouping.problems, truncated: regressions.truncated, signatureSets: grouping.sets, signatureSetsOmitted: grouping.setsOmitted
        )
    }
}
