import Foundation
import TapCompareLedger

extension LedgerReportSource {
    /// Most regression rows read to group into signatures (newest first): a bounded read whatever the window;
    /// beyond it ``Report/problemsTruncated`` says the oldest were left out.
    static let maximumSignatureRows = 100_000

    /// `GET /api/v1/problems`: the window's problems without the rest of the report. The routes' compared counts
    /// (for each problem's share) come from the summary without latency, the cheapest read that has them.
    public func problems(_ query: ReportQuery) async throws -> ProblemList {
        let summary = try await self.summary(query, includeLatency: false)
        var compared = Dictionary(summary.routes.map { ($0.route, $0.compared) }, uniquingKeysWith: { a, _ in a })
        for check in summary.storeChecks {
            for row in check.stores { compared[row.route] = row.compared }
        }
        return try await self.reviewing { try await self.problems(query, compared: compared) }
    }

    /// The window's regressions grouped by signature, with the reviewers' statuses and the sets of problems
    /// comparisons carry: one place for the report and
    /// `/api/v1/problems`, so both list the same problems.
    /// - Parameter compared: compared requests per route (store checks by their own routes), for the shares.
    func problems(_ query: ReportQuery, compared: [String: Int]) async throws -> ProblemList {
        let regressions = try await self.reader.regressions(query, limit: Self.maximumSignatureRows)
        var grouping = SignatureGrouper.grouping(regressions.rows, compared: compared)
        SignatureGrouper.apply(try await self.problemStatuses(), to: &grouping.problems)
        return ProblemList(
            problems: grouping.problems, truncated: regressions.truncated, signatureSets: grouping.sets, signatureSetsOmitted: grouping.setsOmitted
        )
    }
}
