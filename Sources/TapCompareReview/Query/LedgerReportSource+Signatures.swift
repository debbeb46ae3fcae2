import Foundation

extension LedgerReportSource {
    /// Most regression rows read to group into signatures (newest first): a bounded read whatever the window;
    /// beyond it ``Report/problemsTruncated`` says the oldest were left out.
    static let maximumSignatureRows = 100_000

    /// The window's regression rows (noise and races never form a problem), newest first, at most
    /// ``maximumSignatureRows``, and whether more were left out.
    func regressionRows(_ query: ReportQuery) async throws -> (rows: [RegressionRow], truncated: Bool) {
        var sql = SQLBuilder(self.dialect)
        sql.append("""
            SELECT \(self.dialect.uuidText("comparison_id")), \(self.dialect.timeText("recorded_at")), route, field, kind,
            \(self.dialect.jsonText("legacy_value")), \(self.dialect.jsonText("candidate_value"))
            FROM \(self.dialect.table("discrepancies")) WHERE classification = 'regression'
            """)
        self.appendFilters(&sql, query, table: "discrepancies")
        sql.append(" ORDER BY recorded_at DESC, comparison_id DESC, ordinal LIMIT ")
        sql.bind(.int(Self.maximumSignatureRows + 1))
        let rows = try await self.database.query(sql.sql, sql.binds).map { r in
            RegressionRow(comparisonId: r.string(0) ?? "", recordedAt: r.date(1), route: r.string(2) ?? "", field: r.string(3) ?? "",
                          kind: r.string(4) ?? "", legacyValue: r.string(5), candidateValue: r.string(6))
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

    /// The window's regressions grouped by signature, with the reviewers' statuses: one place for the report and
    /// `/api/v1/problems`, so both list the same problems.
    /// - Parameter compared: compared requests per route (store checks by their own routes), for the shares.
    func problems(_ query: ReportQuery, compared: [String: Int]) async throws -> ProblemList {
        let regressions = try await self.regressionRows(query)
        var problems = SignatureGrouper.group(regressions.rows, compared: compared)
        SignatureGrouper.apply(try await self.problemStatuses(), to: &problems)
        return ProblemList(problems: problems, truncated: regressions.truncated)
    }
}
