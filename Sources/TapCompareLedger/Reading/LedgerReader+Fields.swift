import Foundation
import TapCompareCore

extension LedgerReader {
    /// Discrepancies grouped by route, field and kind over a window: rollup hours and raw edges, added up.
    package func fieldGroups(_ window: RollupWindow) async throws -> [LedgerFieldGroup] {
        var parts: [[LedgerFieldGroup]] = []
        if let hours = window.hours {
            parts.append(try await self.rollupFieldGroups(hours, window.query))
        }
        for part in window.raw {
            parts.append(try await self.fieldGroups(part))
        }
        return Self.merge(parts)
    }

    /// Discrepancies grouped by route, field and kind from the raw rows, with the query's filters; `comparisons`
    /// counts distinct comparisons (a wildcard field can differ several times in one).
    func fieldGroups(_ query: LedgerQuery) async throws -> [LedgerFieldGroup] {
        var sql = SQLBuilder(self.dialect)
        sql.append("""
            SELECT route, field, kind, count(*),
              sum(CASE WHEN classification = 'regression' THEN 1 ELSE 0 END),
              sum(CASE WHEN classification = 'noise' THEN 1 ELSE 0 END),
              sum(CASE WHEN classification = 'race' THEN 1 ELSE 0 END),
              \(self.dialect.timeText("min(recorded_at)")), \(self.dialect.timeText("max(recorded_at)")),
              count(DISTINCT comparison_id)
            FROM \(self.dialect.table("discrepancies")) WHERE 1 = 1
            """)
        self.appendFilters(&sql, query, table: "discrepancies")
        if let c = query.classification {
            sql.append(" AND classification = ")
            sql.bind(.text(c.rawValue))
        }
        sql.append(" GROUP BY route, field, kind")
        return try await self.rows(sql).compactMap(Self.fieldGroup(from:))
    }

    /// ``fieldGroups(_:)-(LedgerQuery)`` over rollup hours. Without a classification filter a field's comparisons
    /// are the sum of `leading_comparisons` (each comparison counted once, under its leading classification); with
    /// one, that classification's `comparisons`.
    func rollupFieldGroups(_ hours: RollupWindow.Hours, _ query: LedgerQuery) async throws -> [LedgerFieldGroup] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        let comparisons = query.classification == nil ? "leading_comparisons" : "comparisons"
        sql.append("""
            SELECT route, field, kind, \(d.sum("occurrences")),
              \(d.sum("CASE WHEN classification = 'regression' THEN occurrences ELSE 0 END")),
              \(d.sum("CASE WHEN classification = 'noise' THEN occurrences ELSE 0 END")),
              \(d.sum("CASE WHEN classification = 'race' THEN occurrences ELSE 0 END")),
              \(d.timeText("min(first_seen)")), \(d.timeText("max(last_seen)")), \(d.sum(comparisons))
            FROM \(d.table("rollup_fields")) WHERE 1 = 1
            """)
        self.appendRollupFilters(&sql, hours, query)
        if let c = query.classification {
            sql.append(" AND classification = ")
            sql.bind(.text(c.rawValue))
        }
        sql.append(" GROUP BY route, field, kind")
        return try await self.rows(sql).compactMap(Self.fieldGroup(from:))
    }

    /// A row `route, field, kind, occurrences, regressions, noise, races, first, last, comparisons`.
    static func fieldGroup(from r: LedgerReadRow) -> LedgerFieldGroup? {
        guard let route = r.string(0), let field = r.string(1), let kind = r.string(2) else { return nil }
        let occurrences = r.int(3) ?? 0
        return LedgerFieldGroup(
            route: route, field: field, kind: kind, occurrences: occurrences, comparisons: r.int(9) ?? occurrences,
            regressions: r.int(4) ?? 0, noise: r.int(5) ?? 0, races: r.int(6) ?? 0, first: r.date(7), last: r.date(8)
        )
    }

    /// Adds field groups of disjoint parts of a window: counts add, first and last widen.
    static func merge(_ parts: [[LedgerFieldGroup]]) -> [LedgerFieldGroup] {
        struct Key: Hashable { var route: String; var field: String; var kind: String }
        var merged: [Key: LedgerFieldGroup] = [:]
        var order: [Key] = []
        for part in parts {
            for item in part {
                let key = Key(route: item.route, field: item.field, kind: item.kind)
                guard var existing = merged[key] else {
                    merged[key] = item
                    order.append(key)
                    continue
                }
                existing.occurrences += item.occurrences
                existing.comparisons += item.comparisons
                existing.regressions += item.regressions
                existing.noise += item.noise
                existing.races += item.races
                existing.first = Self.earliest(existing.first, item.first)
                existing.last = Self.latest(existing.last, item.last)
                merged[key] = existing
            }
        }
        return order.map { merged[$0]! }
    }

    /// The earlier of two optional times (`nil` is unknown, not "before everything").
    package static func earliest(_ a: Date?, _ b: Date?) -> Date? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    /// The later of two optional times.
    package static func latest(_ a: Date?, _ b: Date?) -> Date? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }

    /// How many of the field's most recent occurrences were read (at most `sampleSize`, newest first through the
    /// `(route, field, kind, recorded_at)` index) and how many distinct values each side has among them: a
    /// bounded sample whatever the window, so a noise suggestion costs the same over a day or over months.
    package func distinctValues(route: String, field: String, kind: String, query: LedgerQuery, sampleSize: Int) async throws -> (sampled: Int, legacy: Int, candidate: Int) {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT count(*), count(DISTINCT lv), count(DISTINCT cv) FROM (SELECT \(self.dialect.jsonText("legacy_value")) AS lv, \(self.dialect.jsonText("candidate_value")) AS cv FROM \(self.dialect.table("discrepancies"))")
        self.appendFieldFilter(&sql, route: route, field: field, kind: kind, query: query)
        sql.append(" ORDER BY recorded_at DESC LIMIT ")
        sql.bind(.int(sampleSize))
        sql.append(") s")
        let r = try await self.rows(sql).first
        return (r?.int(0) ?? 0, r?.int(1) ?? 0, r?.int(2) ?? 0)
    }

    /// The most recent occurrences of one field (newest first), at most `limit` (clamped to 1…500).
    package func examples(route: String, field: String, kind: String?, query: LedgerQuery, limit: Int) async throws -> [LedgerFieldExample] {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT \(self.dialect.uuidText("comparison_id")), \(self.dialect.timeText("recorded_at")), path, \(self.dialect.jsonText("legacy_value")), \(self.dialect.jsonText("candidate_value")), classification FROM \(self.dialect.table("discrepancies"))")
        self.appendFieldFilter(&sql, route: route, field: field, kind: kind, query: query)
        sql.append(" ORDER BY recorded_at DESC, comparison_id DESC, ordinal LIMIT ")
        sql.bind(.int(max(1, min(limit, 500))))
        return try await self.rows(sql).map { r in
            LedgerFieldExample(comparisonId: r.string(0) ?? "", recordedAt: r.date(1), path: r.string(2) ?? "", legacyValue: r.string(3), candidateValue: r.string(4), classification: r.string(5) ?? "regression")
        }
    }
}
