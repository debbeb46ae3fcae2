import Foundation
import TapCompareCore
import TapCompareLedger

extension LedgerReportSource {
    public func comparison(id: String) async throws -> ComparisonDetail? {
        guard let uuid = UUID(uuidString: id) else {
            throw ReviewError.invalidArgument("'\(id.prefix(64))' is not a comparison id (a UUID such as 0193a6f0-7c1e-7d2a-9b1c-0a1b2c3d4e5f)")
        }
        return try await self.reviewing {
            guard let c = try await self.reader.comparison(id: uuid) else { return nil }
            // A write lists its store checks; a store check links back through `linked_comparison_id`.
            let storeChecks = c.store == nil ? try await self.reader.storeCheckLinks(of: uuid, recordedAt: c.recordedAt) : []
            return ComparisonDetail(
                id: c.id.lowercasedText, recordedAt: c.recordedAt, instance: c.instance, requestId: c.requestID,
                method: c.method, route: c.route, path: c.path, legacyStatus: c.legacyStatus, candidateStatus: c.candidateStatus,
                legacyMs: c.legacyMilliseconds, candidateMs: c.candidateMilliseconds, outcome: c.outcome, reason: c.reason,
                discrepancyCount: c.discrepancyCount, regressionCount: c.regressionCount, requestSample: c.requestSample,
                legacySample: c.legacySample, candidateSample: c.candidateSample, samplesTruncated: c.samplesTruncated,
                runId: c.runID, linkedComparisonId: c.linkedComparisonID?.lowercasedText, store: c.store,
                candidateVersion: c.candidateVersion, grpc: c.grpc.map(GRPCDetail.init),
                // The reader returns them in `ordinal` order, and the writer numbers them from 0.
                discrepancies: c.discrepancies.enumerated().map { ordinal, d in
                    DiscrepancyDetail(ordinal: ordinal, path: d.path, field: d.field, kind: d.kind, legacyValue: d.legacyValue,
                                      candidateValue: d.candidateValue, classification: d.classification)
                },
                storeChecks: storeChecks
            )
        }
    }
}
