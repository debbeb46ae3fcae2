import Foundation

extension LedgerReader {
    /// The latest verdicts first: `(route, field, kind, classification)` of the newest `limit` annotations (the
    /// columns a report needs to mark its fields, without the notes).
    package func annotationVerdicts(limit: Int) async throws -> [(route: String, field: String, kind: String?, classification: String)] {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT route, field, kind, classification FROM \(self.dialect.table("annotations")) ORDER BY id DESC LIMIT ")
        sql.bind(.int(limit))
        return try await self.rows(sql).compactMap { r in
            guard let route = r.string(0), let field = r.string(1), let c = r.string(3) else { return nil }
            return (route, field, r.string(2), c)
        }
    }

    /// The newest `limit` annotations, newest first.
    public func annotations(limit: Int) async throws -> [LedgerAnnotation] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT id, route, field, kind, classification, note, created_by, \(d.timeText("created_at")) FROM \(d.table("annotations")) ORDER BY id DESC LIMIT ")
        sql.bind(.int(limit))
        return try await self.rows(sql).map(Self.annotation(from:))
    }

    /// How many annotations the ledger holds.
    public func annotationCount() async throws -> Int {
        try await self.database.query("SELECT COUNT(*) FROM \(self.dialect.table("annotations"))", []).first?.int(0) ?? 0
    }

    /// Stores a reviewer's verdict and returns the stored row, with the id and time the database assigned
    /// (``LedgerAnnotation/id`` and ``LedgerAnnotation/createdAt`` of `annotation` are not written).
    /// - Throws: ``LedgerError`` when the database refuses it: a classification other than `regression`, `noise`
    ///   or `race` breaks the table's check.
    public func insertAnnotation(_ annotation: LedgerAnnotation) async throws -> LedgerAnnotation {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("INSERT INTO \(d.table("annotations")) (route, field, kind, classification, note, created_by) VALUES (")
        let values: [LedgerReadValue] = [
            .text(annotation.route), .text(annotation.field), annotation.kind.map(LedgerReadValue.text) ?? .null,
            .text(annotation.classification), annotation.note.map(LedgerReadValue.text) ?? .null,
            annotation.createdBy.map(LedgerReadValue.text) ?? .null,
        ]
        sql.bindList(values)
        sql.append(") RETURNING id, route, field, kind, classification, note, created_by, \(d.timeText("created_at"))")
        return Self.annotation(from: try await self.insertedRow(sql, what: "annotation"))
    }

    static func annotation(from r: LedgerReadRow) -> LedgerAnnotation {
        LedgerAnnotation(
            id: r.int(0) ?? 0, route: r.string(1) ?? "", field: r.string(2) ?? "", kind: r.string(3),
            classification: r.string(4) ?? "noise", note: r.string(5), createdBy: r.string(6),
            createdAt: r.date(7) ?? Date(timeIntervalSince1970: 0)
        )
    }
}
