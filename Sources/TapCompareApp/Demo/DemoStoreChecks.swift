import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareReview
import TapCompareStoreChecks

/// The demo's store checks: `POST /api/v1/comments` is mirrored, and after both writes answered its record is read
/// from legacy's comments table and the candidate's sister table (two embedded SQLite files) and compared.
///
/// The same configuration a user writes in YAML:
/// ```yaml
/// stores:
///   comments_db: { kind: sqlite, legacy: tapcompare-demo-stores/legacy.sqlite, candidate: tapcompare-demo-stores/sister.sqlite }
/// routes:
///   - route: POST /api/v1/comments
///     mirror_writes: true
///     verify:
///       stores:
///         - { store: comments_db, query: "SELECT id, post_id, parent_id, author_id, body, score FROM comments WHERE id = ?", params: [$.id] }
/// ```
enum DemoStoreChecks {
    /// The store's name in the configuration, the ledger and the report.
    static let store = "comments_db"

    /// Mirrors the demo's write route and checks its record in both stores.
    /// - Throws: never for the fixed query and template below; typed for the APIs they go through.
    static func configure(_ configuration: inout ServeConfiguration, legacy: String, candidate: String) throws {
        let query = try SelectStatement(
            validating: "SELECT \(DemoCommentRecords.columns.joined(separator: ", ")) FROM comments WHERE id = ?", dialect: .sqlite
        )
        let check = StoreCheck(store: Self.store, read: .query(query, params: [try ValueSource(parsing: "$.id")]))
        var route = ServeConfiguration.Route(template: try RouteTemplate(parsing: DemoCommentService.writeRoute))
        route.mirrorWrites = true
        route.verify = ServeConfiguration.Route.Verify(read: nil, stores: [check])
        configuration.routes.append(route)
        configuration.storeChecks.stores[Self.store] = StoreDefinition(name: Self.store, kind: .sqlite, legacy: legacy, candidate: candidate)
        configuration.storeChecks.checks[DemoCommentService.writeRoute] = [check]
    }

    /// One line per write route and store (`POST /api/v1/comments @comments_db`) with its compared, matched and
    /// regressed records and the fields that differ, read from the demo's report.
    static func summary(_ report: Report) -> String {
        // The report's write matrix (store checks are kept out of the HTTP routes).
        let rows = report.storeChecks.flatMap(\.stores).sorted { $0.route < $1.route }
        guard !rows.isEmpty else { return "store checks: none recorded\n" }
        var text = "store checks (each mirrored write's record read back from legacy's store and the sister store):\n"
        for row in rows {
            text += "  \(row.route): \(row.compared) compared, \(row.matched) matched, \(row.regressions) with regressions"
            if row.skipped > 0 { text += ", \(row.skipped) skipped" }
            if row.errors > 0 { text += ", \(row.errors) store errors" }
            text += "\n"
            for field in row.fields {
                text += "      \(field.field) \(field.kind) in \(field.comparisons) of \(row.compared)"
                if let example = field.examples.first {
                    text += " (e.g. legacy \(Self.short(example.legacyValue)), sister store \(Self.short(example.candidateValue)))"
                }
                text += "\n"
            }
        }
        return text
    }

    /// A value's JSON text cut to 40 characters for one line.
    static func short(_ value: String?) -> String {
        guard let value else { return "–" }
        return value.count <= 40 ? value : String(value.prefix(39)) + "…"
    }
}
