import Foundation
import TapCompareCore

extension LedgerReportSource {
    struct MarkKey: Hashable {
        var route: String
        var field: String
        var kind: String?
    }

    /// The most annotations a ledger holds: ``annotate(_:)`` refuses more. One row is one click in the UI, so a
    /// real review stays far below; the bound keeps a flood of posts from slowing every report and API call,
    /// which read them (``annotationMarks()`` reads at most this many, newest first).
    public static let maxAnnotations = 10_000
    /// The most annotations `GET /api/v1/annotations` lists, newest first.
    public static let maxListedAnnotations = 1_000

    /// The latest verdict per (route, field, kind), from the newest ``maxAnnotations`` rows.
    func annotationMarks() async throws -> [MarkKey: String] {
        let rows = try await self.database.query(
            "SELECT route, field, kind, classification FROM \(self.dialect.table("annotations")) ORDER BY id DESC LIMIT \(Self.maxAnnotations)", []
        )
        var marks: [MarkKey: String] = [:]
        for r in rows {
            guard let route = r.string(0), let field = r.string(1), let c = r.string(3) else { continue }
            // Newest first: the first verdict seen for a key is the latest.
            let key = MarkKey(route: route, field: field, kind: r.string(2))
            if marks[key] == nil { marks[key] = c }
        }
        return marks
    }

    public func annotations() async throws -> [Annotation] {
        let d = self.dialect
        let rows = try await self.database.query(
            "SELECT id, route, field, kind, classification, note, created_by, \(d.timeText("created_at")) FROM \(d.table("annotations")) ORDER BY id DESC LIMIT \(Self.maxListedAnnotations)", []
        )
        return rows.map(Self.annotation(from:))
    }

    static func annotation(from r: ReviewRow) -> Annotation {
        let route = r.string(1) ?? "", field = r.string(2) ?? "", classification = r.string(4) ?? "noise"
        return Annotation(
            id: r.int(0) ?? 0, route: route, field: field, kind: r.string(3), classification: classification,
            note: r.string(5), createdBy: r.string(6), createdAt: r.date(7),
            rule: classification == "noise" ? IgnoreRule.yaml(route: route, field: field, why: r.string(5) ?? "marked as noise in the review UI") : nil
        )
    }

    public func annotate(_ new: NewAnnotation) async throws -> Annotation {
        let route = new.route.trimmingCharacters(in: .whitespaces)
        let field = new.field.trimmingCharacters(in: .whitespaces)
        guard !route.isEmpty, route.utf8.count <= 1000 else { throw ReviewError.invalidArgument("'route' must be a route template such as 'GET /api/v1/comments/{id}' (at most 1000 bytes)") }
        guard !field.isEmpty, field.utf8.count <= 1000 else { throw ReviewError.invalidArgument("'field' must be a field such as '$.request_id', 'status' or 'header:etag' (at most 1000 bytes)") }
        let classification = new.classification ?? "noise"
        guard Classification(rawValue: classification) != nil else {
            throw ReviewError.invalidArgument("'classification' is '\(classification.prefix(40))'; use regression, noise or race")
        }
        if let kind = new.kind, DiscrepancyKind(rawValue: kind) == nil {
            throw ReviewError.invalidArgument("'kind' is '\(kind.prefix(40))'; use one of \(DiscrepancyKind.allCases.map(\.rawValue).joined(separator: ", ")) or leave it out")
        }
        guard (new.note ?? "").utf8.count <= 4000, (new.createdBy ?? "").utf8.count <= 200 else {
            throw ReviewError.invalidArgument("'note' (at most 4000 bytes) or 'created_by' (at most 200 bytes) is too long")
        }
        let d = self.dialect
        let count = try await self.database.query("SELECT COUNT(*) FROM \(d.table("annotations"))", []).first?.int(0) ?? 0
        guard count < Self.maxAnnotations else {
            throw ReviewError.limitReached(
                "the ledger holds \(Self.maxAnnotations) annotations, the most it keeps; delete old rows from its annotations table to add more"
            )
        }
        var sql = SQLBuilder(d)
        sql.append("INSERT INTO \(d.table("annotations")) (route, field, kind, classification, note, created_by) VALUES (")
        sql.bind(.text(route)); sql.append(", ")
        sql.bind(.text(field)); sql.append(", ")
        sql.bind(new.kind.map(ReviewValue.text) ?? .null); sql.append(", ")
        sql.bind(.text(classification)); sql.append(", ")
        sql.bind(new.note.map(ReviewValue.text) ?? .null); sql.append(", ")
        sql.bind(new.createdBy.map(ReviewValue.text) ?? .null)
        sql.append(") RETURNING id, route, field, kind, classification, note, created_by, \(d.timeText("created_at"))")
        guard let row = try await self.database.query(sql.sql, sql.binds).first else {
            throw ReviewError.queryFailed("the ledger did not return the stored annotation")
        }
        return Self.annotation(from: row)
    }
}
