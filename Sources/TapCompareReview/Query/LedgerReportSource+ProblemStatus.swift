import Foundation
import TapCompareLedger

extension LedgerReportSource {
    /// The most problem statuses a ledger holds: ``setProblemStatus(_:)`` refuses new signatures beyond (one row
    /// per problem a reviewer decided about; the bound keeps a flood of posts from slowing every report).
    public static let maxProblemStatuses = 10_000

    /// Every stored status by signature; empty on a ledger older than schema version 6.
    func problemStatuses() async throws -> [String: ProblemStatusRecord] {
        var out: [String: ProblemStatusRecord] = [:]
        for record in try await self.reader.problemStatuses(limit: Self.maxProblemStatuses) {
            out[record.signature] = record
        }
        return out
    }

    public func setProblemStatus(_ new: NewProblemStatus) async throws -> ProblemStatusRecord {
        guard ProblemStatus(rawValue: new.status) != nil else {
            throw ReviewError.invalidArgument("'status' is '\(new.status.prefix(40))'; use open, accepted or fixed")
        }
        for (key, value) in [("route", new.route), ("kind", new.kind), ("field", new.field), ("shape", new.shape)] {
            guard !value.isEmpty, value.utf8.count <= 1000 else {
                throw ReviewError.invalidArgument("'\(key)' must be the problem's \(key) as the report gives it (1 to 1000 bytes)")
            }
        }
        guard (new.note ?? "").utf8.count <= 4000, (new.setBy ?? "").utf8.count <= 200 else {
            throw ReviewError.invalidArgument("'note' (at most 4000 bytes) or 'set_by' (at most 200 bytes) is too long")
        }
        return try await self.reviewing {
            guard try await self.reader.hasProblemStatuses() else {
                throw ReviewError.invalidArgument("this ledger predates problem statuses (schema version 6); run `tapcompare serve` against it once to migrate it")
            }
            let signature = SignatureGrouper.id(route: new.route, kind: new.kind, field: new.field, shape: new.shape)
            guard try await self.reader.problemStatusCount(excluding: signature) < Self.maxProblemStatuses else {
                throw ReviewError.limitReached("the ledger holds \(Self.maxProblemStatuses) problem statuses, the most it keeps; delete old rows from its problem_status table to add more")
            }
            return try await self.reader.upsertProblemStatus(ProblemStatusRecord(
                signature: signature, route: new.route, kind: new.kind, field: new.field, shape: new.shape, status: new.status,
                note: new.note, setBy: new.setBy, setAt: nil
            ))
        }
    }
}
