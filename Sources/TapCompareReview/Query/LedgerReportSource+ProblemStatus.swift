import Foundation

extension LedgerReportSource {
    /// The most problem statuses a ledger holds: ``setProblemStatus(_:)`` refuses new signatures beyond (one row
    /// per problem a reviewer decided about; the bound keeps a flood of posts from slowing every report).
    public static let maxProblemStatuses = 10_000

    /// Every stored status by signature; empty on a ledger older than schema version 6.
    func problemStatuses() async throws -> [String: ProblemStatusRecord] {
        guard try await self.problemStatusTable.check(self.database) else { return [:] }
        let d = self.dialect
        let rows = try await self.database.query(
            "SELECT signature, route, kind, field, shape, status, note, set_by, \(d.timeText("set_at")) FROM \(d.table("problem_status")) LIMIT \(Self.maxProblemStatuses)", []
        )
        var out: [String: ProblemStatusRecord] = [:]
        for r in rows {
            let record = Self.problemStatus(from: r)
            out[record.signature] = record
        }
        return out
    }

    static func problemStatus(from r: ReviewRow) -> ProblemStatusRecord {
        ProblemStatusRecord(
            signature: r.string(0) ?? "", route: r.string(1) ?? "", kind: r.string(2) ?? "", field: r.string(3) ?? "",
            shape: r.string(4) ?? "", status: r.string(5) ?? "open", note: r.string(6), setBy: r.string(7), setAt: r.date(8)
        )
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
        guard try await self.problemStatusTable.check(self.database) else {
            throw ReviewError.invalidArgument("this ledger predates problem statuses (schema version 6); run `tapcompare serve` against it once to migrate it")
        }
        let d = self.dialect
        let signature = SignatureGrouper.id(route: new.route, kind: new.kind, field: new.field, shape: new.shape)
        var count = SQLBuilder(d)
        count.append("SELECT count(*) FROM \(d.table("problem_status")) WHERE signature <> ")
        count.bind(.text(signature))
        guard (try await self.database.query(count.sql, count.binds).first?.int(0) ?? 0) < Self.maxProblemStatuses else {
            throw ReviewError.limitReached("the ledger holds \(Self.maxProblemStatuses) problem statuses, the most it keeps; delete old rows from its problem_status table to add more")
        }
        var sql = SQLBuilder(d)
        sql.append("INSERT INTO \(d.table("problem_status")) (signature, route, kind, field, shape, status, note, set_by, set_at) VALUES (")
        for (i, value) in [ReviewValue.text(signature), .text(new.route), .text(new.kind), .text(new.field), .text(new.shape), .text(new.status),
                           new.note.map(ReviewValue.text) ?? .null, new.setBy.map(ReviewValue.text) ?? .null, .time(Date())].enumerated() {
            if i > 0 { sql.append(", ") }
            sql.bind(value)
        }
        sql.append(") ON CONFLICT (signature) DO UPDATE SET status = excluded.status, note = excluded.note, set_by = excluded.set_by, set_at = excluded.set_at")
        sql.append(" RETURNING signature, route, kind, field, shape, status, note, set_by, \(d.timeText("set_at"))")
        guard let row = try await self.database.query(sql.sql, sql.binds).first else {
            throw ReviewError.queryFailed("the ledger did not return the stored problem status")
        }
        return Self.problemStatus(from: row)
    }
}
