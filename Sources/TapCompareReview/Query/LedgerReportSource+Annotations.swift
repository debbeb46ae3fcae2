import Foundation
import TapCompareCore
import TapCompareLedger

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
        var marks: [MarkKey: String] = [:]
        for verdict in try await self.reader.annotationVerdicts(limit: Self.maxAnnotations) {
            // Newest first: the first verdict seen for a key is the latest.
            let key = MarkKey(route: verdict.route, field: verdict.field, kind: verdict.kind)
            if marks[key] == nil { marks[key] = verdict.classification }
        }
        return marks
    }

    public func annotations() async throws -> [Annotation] {
        try await self.reviewing { try await self.reader.annotations(limit: Self.maxListedAnnotations).map(Self.annotation(from:)) }
    }

    static func annotation(from a: LedgerAnnotation) -> Annotation {
        Annotation(
            id: a.id, route: a.route, field: a.field, kind: a.kind, classification: a.classification,
            note: a.note, createdBy: a.createdBy, createdAt: a.createdAt,
            rule: a.classification == "noise" ? IgnoreRule.yaml(route: a.route, field: a.field, why: a.note ?? "marked as noise in the review UI") : nil
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
        return try await self.reviewing {
            guard try await self.reader.annotationCount() < Self.maxAnnotations else {
                throw ReviewError.limitReached(
                    "the ledger holds \(Self.maxAnnotations) annotations, the most it keeps; delete old rows from its annotations table to add more"
                )
            }
            let stored = try await self.reader.insertAnnotation(LedgerAnnotation(
                route: route, field: field, kind: new.kind, classification: classification, note: new.note, createdBy: new.createdBy
            ))
            return Self.annotation(from: stored)
        }
    }
}
