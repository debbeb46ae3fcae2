import Foundation

extension LedgerReader {
    /// Whether the ledger has the `problem_status` table (schema version 6).
    package func hasProblemStatuses() async throws -> Bool {
        try await self.problemStatusTable.check(self.database)
    }

    /// At most `limit` stored statuses; empty on a ledger older than schema version 6.
    package func problemStatuses(limit: Int) async throws -> [LedgerProblemStatus] {
        guard try await self.hasProblemStatuses() else { return [] }
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT signature, route, kind, field, shape, status, note, set_by, \(d.timeText("set_at")) FROM \(d.table("problem_status")) LIMIT ")
        sql.bind(.int(limit))
        return try await self.rows(sql).map(Self.problemStatus(from:))
    }

    /// How many statuses the ledger holds for signatures other than `signature`.
    package func problemStatusCount(excluding signature: String) async throws -> Int {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT count(*) FROM \(self.dialect.table("problem_status")) WHERE signature <> ")
        sql.bind(.text(signature))
        return try await self.rows(sql).first?.int(0) ?? 0
    }

    /// Stores `status` (replacing the signature's previous one, `set_at` now) and returns the stored row.
    /// - Throws: ``LedgerError`` when the table is missing or refuses the row.
    package func upsertProblemStatus(_ status: LedgerProblemStatus) async throws -> LedgerProblemStatus {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("INSERT INTO \(d.table("problem_status")) (signature, route, kind, field, shape, status, note, set_by, set_at) VALUES (")
        sql.bindList([
            .text(status.signature), .text(status.route), .text(status.kind), .text(status.field), .text(status.shape), .text(status.status),
            status.note.map(LedgerReadValue.text) ?? .null, status.setBy.map(LedgerReadValue.text) ?? .null, .time(Date()),
        ])
        sql.append(") ON CONFLICT (signature) DO UPDATE SET status = excluded.status, note = excluded.note, set_by = excluded.set_by, set_at = excluded.set_at")
        sql.append(" RETURNING signature, route, kind, field, shape, status, note, set_by, \(d.timeText("set_at"))")
        return Self.problemStatus(from: try await self.insertedRow(sql, what: "problem status"))
    }

    static func problemStatus(from r: LedgerReadRow) -> LedgerProblemStatus {
        LedgerProblemStatus(
            signature: r.string(0) ?? "", route: r.string(1) ?? "", kind: r.string(2) ?? "", field: r.string(3) ?? "",
            shape: r.string(4) ?? "", status: r.string(5) ?? "open", note: r.string(6), setBy: r.string(7), setAt: r.date(8)
        )
    }
}
