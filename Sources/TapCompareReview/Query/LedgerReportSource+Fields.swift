import Foundation
import TapCompareCore

extension LedgerReportSource {
    public func fields(route: String, query: ReportQuery) async throws -> [FieldReport] {
        var q = query
        q.route = route
        let window = try await self.window(q)
        let aggregates: [FieldAggregate]
        let compared: [String: Int]
        if self.database.allowsConcurrentQueries {
            async let a = self.fieldAggregates(window)
            async let c = self.comparedByRoute(window)
            aggregates = try await a
            compared = try await c
        } else {
            aggregates = try await self.fieldAggregates(window)
            compared = try await self.comparedByRoute(window)
        }
        return try await self.detailedFields(aggregates, compared: compared, query: q)[route] ?? []
    }

    /// One (route, field, kind) group of the discrepancies scan.
    struct FieldAggregate: Sendable {
        var route: String
        var field: FieldReport
    }

    /// Discrepancies grouped by route, field and kind over a window: rollup hours and raw edges, added up.
    func fieldAggregates(_ window: RollupWindow) async throws -> [FieldAggregate] {
        var parts: [[FieldAggregate]] = []
        if let hours = window.hours {
            parts.append(try await self.rollupFieldAggregates(hours, window.query))
        }
        for part in window.raw {
            parts.append(try await self.fieldAggregates(part))
        }
        return Self.merge(parts)
    }

    /// Discrepancies grouped by route, field and kind from the raw rows, with the query's filters; `comparisons`
    /// counts distinct comparisons (a wildcard field can differ several times in one).
    func fieldAggregates(_ query: ReportQuery) async throws -> [FieldAggregate] {
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
        return try await self.database.query(sql.sql, sql.binds).compactMap(Self.fieldAggregate(from:))
    }

    /// Completes each field with its share, examples, suggestion and annotation, by route and by impact.
    func detailedFields(_ aggregates: [FieldAggregate], compared: [String: Int], query: ReportQuery) async throws -> [String: [FieldReport]] {
        let marks = try await self.annotationMarks()
        let filters = query
        // Per-field reads, each bounded and through the (route, field, kind, recorded_at) index.
        let detailed = try await self.forEachConcurrently(aggregates) { item in
            var f = item.field
            let routeCompared = compared[item.route] ?? 0
            f.share = routeCompared == 0 ? 0 : min(1, Double(f.comparisons) / Double(routeCompared))
            f.examples = try await self.examples(route: item.route, field: f.field, kind: f.kind, query: filters, limit: 2)
            if self.noisePolicy.isCandidate(field: f.field, kind: f.kind, share: f.share, comparisons: f.comparisons) {
                let (sampled, legacy, candidate) = try await self.distinctValues(route: item.route, field: f.field, kind: f.kind, query: filters)
                f.suggestion = self.noisePolicy.suggestion(route: item.route, field: f.field, share: f.share, sampled: sampled, distinctLegacy: legacy, distinctCandidate: candidate)
            }
            f.annotation = marks[MarkKey(route: item.route, field: f.field, kind: f.kind)] ?? marks[MarkKey(route: item.route, field: f.field, kind: nil)]
            return (item.route, f)
        }
        var result: [String: [FieldReport]] = [:]
        for (route, field) in detailed { result[route, default: []].append(field) }
        for key in result.keys { result[key]!.sort(by: ReportAssembler.fieldImpactOrder) }
        return result
    }

    /// Runs `body` for every element, several at once where the database allows, keeping the order.
    func forEachConcurrently<T: Sendable, R: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        guard self.database.allowsConcurrentQueries, items.count > 1 else {
            var out: [R] = []
            for item in items { out.append(try await body(item)) }
            return out
        }
        return try await withThrowingTaskGroup(of: (Int, R).self) { group in
            // At most four at once: the pool has four connections, more would only queue.
            var next = 0
            var results = [R?](repeating: nil, count: items.count)
            while next < min(4, items.count) {
                let i = next, item = items[i]
                group.addTask { (i, try await body(item)) }
                next += 1
            }
            while let (i, r) = try await group.next() {
                results[i] = r
                if next < items.count {
                    let j = next, item = items[j]
                    group.addTask { (j, try await body(item)) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// Compared requests (match or mismatch) per route over a window.
    func comparedByRoute(_ window: RollupWindow) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for g in try await self.outcomeGroups(window) where g.outcome == "match" || g.outcome == "mismatch" {
            out[g.route, default: 0] += g.count
        }
        return out
    }

    func fieldFilter(_ sql: inout SQLBuilder, route: String, field: String, kind: String?, query: ReportQuery) {
        var q = query
        q.route = nil
        sql.append(" WHERE route = ")
        sql.bind(.text(route))
        sql.append(" AND field = ")
        sql.bind(.text(field))
        if let kind {
            sql.append(" AND kind = ")
            sql.bind(.text(kind))
        }
        self.appendFilters(&sql, q, table: "discrepancies")
        if let c = query.classification {
            sql.append(" AND classification = ")
            sql.bind(.text(c.rawValue))
        }
    }

    /// How many distinct values each side has among the field's most recent occurrences (at most
    /// ``NoisePolicy/sampleSize``, newest first through the `(route, field, kind, recorded_at)` index): a bounded
    /// sample whatever the window, so the noise suggestion costs the same over a day or over months.
    func distinctValues(route: String, field: String, kind: String, query: ReportQuery) async throws -> (Int, Int, Int) {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT count(*), count(DISTINCT lv), count(DISTINCT cv) FROM (SELECT \(self.dialect.jsonText("legacy_value")) AS lv, \(self.dialect.jsonText("candidate_value")) AS cv FROM \(self.dialect.table("discrepancies"))")
        self.fieldFilter(&sql, route: route, field: field, kind: kind, query: query)
        sql.append(" ORDER BY recorded_at DESC LIMIT ")
        sql.bind(.int(self.noisePolicy.sampleSize))
        sql.append(") s")
        let r = try await self.database.query(sql.sql, sql.binds).first
        return (r?.int(0) ?? 0, r?.int(1) ?? 0, r?.int(2) ?? 0)
    }

    public func examples(route: String, field: String, kind: String?, query: ReportQuery, limit: Int) async throws -> [FieldExample] {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT \(self.dialect.uuidText("comparison_id")), \(self.dialect.timeText("recorded_at")), path, \(self.dialect.jsonText("legacy_value")), \(self.dialect.jsonText("candidate_value")), classification FROM \(self.dialect.table("discrepancies"))")
        self.fieldFilter(&sql, route: route, field: field, kind: kind, query: query)
        sql.append(" ORDER BY recorded_at DESC, comparison_id DESC, ordinal LIMIT ")
        sql.bind(.int(max(1, min(limit, 500))))
        return try await self.database.query(sql.sql, sql.binds).map { r in
            FieldExample(comparisonId: r.string(0) ?? "", recordedAt: r.date(1), path: r.string(2) ?? "", legacyValue: r.string(3), candidateValue: r.string(4), classification: r.string(5) ?? "regression")
        }
    }
}
