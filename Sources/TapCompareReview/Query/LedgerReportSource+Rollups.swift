import Foundation
import TapCompareCore
import TapCompareLedger

extension LedgerReportSource {
    /// The window split into rollup hours and raw edges (everything raw on a ledger without rollups).
    func window(_ query: ReportQuery) async throws -> RollupWindow {
        RollupWindow(query, rollups: try await self.rollups.check(self.database))
    }

    /// Appends ` AND …` conditions on a rollup table for the hours, route and run.
    func appendRollupFilters(_ sql: inout SQLBuilder, _ hours: RollupWindow.Hours, _ query: ReportQuery) {
        if let from = hours.from {
            sql.append(" AND hour >= ")
            sql.bind(.time(from))
        }
        if let to = hours.to {
            sql.append(" AND hour < ")
            sql.bind(.time(to))
        }
        if let route = query.route {
            sql.append(" AND route = ")
            sql.bind(.text(route))
        }
        Self.appendExclusions(&sql, query)
        if let run = query.runID {
            // Live traffic is stored with run_id '' (a key column cannot be NULL).
            sql.append(" AND run_id = ")
            sql.bind(.text(run))
        }
    }

    /// ``outcomeGroups(_:)`` over rollup hours.
    func rollupOutcomeGroups(_ hours: RollupWindow.Hours, _ query: ReportQuery) async throws -> [OutcomeGroup] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT route, outcome, legacy_status, candidate_status, instance, reason, \(d.sum("comparisons")), \(d.sum("regressed")),
            \(d.timeText("min(first_seen)")), \(d.timeText("max(last_seen)"))
            FROM \(d.table("rollup_outcomes")) WHERE 1 = 1
            """)
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY route, outcome, legacy_status, candidate_status, instance, reason")
        return try await self.database.query(sql.sql, sql.binds).map { r in
            let legacy = r.int(2) ?? -1, candidate = r.int(3) ?? -1, reason = r.string(5) ?? ""
            return OutcomeGroup(
                route: r.string(0) ?? "", outcome: r.string(1) ?? "", legacyStatus: legacy < 0 ? nil : legacy,
                candidateStatus: candidate < 0 ? nil : candidate, instance: r.string(4) ?? "",
                reason: reason.isEmpty ? nil : reason, count: r.int(6) ?? 0, regressed: r.int(7) ?? 0,
                first: r.date(8), last: r.date(9)
            )
        }
    }

    /// Compared and regressed requests per rollup hour (the timeline sums them into its buckets).
    func rollupHourlyCompared(_ hours: RollupWindow.Hours, _ query: ReportQuery) async throws -> [(hour: Date, compared: Int, regressed: Int)] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT \(d.timeText("hour")), \(d.sum("comparisons")), \(d.sum("regressed")) FROM \(d.table("rollup_outcomes")) WHERE outcome IN ('match', 'mismatch')")
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY hour")
        return try await self.database.query(sql.sql, sql.binds).compactMap { r in
            guard let hour = r.date(0) else { return nil }
            return (hour, r.int(1) ?? 0, r.int(2) ?? 0)
        }
    }

    /// Latency histograms per route and side over rollup hours: `[route: [side: [bucket: count]]]`.
    func rollupLatency(_ hours: RollupWindow.Hours, _ query: ReportQuery, into histograms: inout [String: [String: [Int: Int]]]) async throws {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT route, side, bucket, \(d.sum("count")) FROM \(d.table("rollup_latency")) WHERE 1 = 1")
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY route, side, bucket")
        for r in try await self.database.query(sql.sql, sql.binds) {
            guard let route = r.string(0), let side = r.string(1), let bucket = r.int(2) else { continue }
            histograms[route, default: [:]][side, default: [:]][bucket, default: 0] += r.int(3) ?? 0
        }
    }

    /// The same histograms from raw rows (the partial hours at a window's edges), bucketed by the database with the
    /// writer's function.
    func rawLatency(_ query: ReportQuery, into histograms: inout [String: [String: [Int: Int]]]) async throws {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT route, side, bucket, count(*) FROM (")
        for (i, side) in ["legacy", "candidate"].enumerated() {
            if i > 0 { sql.append(" UNION ALL ") }
            sql.append("SELECT route, '\(side)' AS side, \(d.latencyBucket("\(side)_ms")) AS bucket FROM \(d.table("comparisons")) WHERE outcome IN ('match', 'mismatch') AND \(side)_ms IS NOT NULL")
            self.appendFilters(&sql, query, table: "comparisons")
        }
        sql.append(") s GROUP BY route, side, bucket")
        for r in try await self.database.query(sql.sql, sql.binds) {
            guard let route = r.string(0), let side = r.string(1), let bucket = r.int(2) else { continue }
            histograms[route, default: [:]][side, default: [:]][bucket, default: 0] += r.int(3) ?? 0
        }
    }

    /// ``fieldAggregates(_:)`` over rollup hours. Without a classification filter a field's comparisons are the
    /// sum of `leading_comparisons` (each comparison counted once, under its leading classification); with one,
    /// that classification's `comparisons`.
    func rollupFieldAggregates(_ hours: RollupWindow.Hours, _ query: ReportQuery) async throws -> [FieldAggregate] {
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
        return try await self.database.query(sql.sql, sql.binds).compactMap(Self.fieldAggregate(from:))
    }

    /// A row `route, field, kind, occurrences, regressions, noise, races, first, last, comparisons`.
    static func fieldAggregate(from r: ReviewRow) -> FieldAggregate? {
        guard let route = r.string(0), let field = r.string(1), let kind = r.string(2) else { return nil }
        let occurrences = r.int(3) ?? 0
        return FieldAggregate(route: route, field: FieldReport(
            field: field, kind: kind, occurrences: occurrences, comparisons: r.int(9) ?? occurrences, share: 0,
            firstSeen: r.date(7), lastSeen: r.date(8), regressions: r.int(4) ?? 0, noise: r.int(5) ?? 0,
            races: r.int(6) ?? 0, examples: [], suggestion: nil, annotation: nil
        ))
    }

    /// Adds field aggregates of disjoint parts of a window: counts add, first and last widen.
    static func merge(_ parts: [[FieldAggregate]]) -> [FieldAggregate] {
        struct Key: Hashable { var route: String; var field: String; var kind: String }
        var merged: [Key: FieldAggregate] = [:]
        var order: [Key] = []
        for part in parts {
            for item in part {
                let key = Key(route: item.route, field: item.field.field, kind: item.field.kind)
                guard var existing = merged[key] else {
                    merged[key] = item
                    order.append(key)
                    continue
                }
                existing.field.occurrences += item.field.occurrences
                existing.field.comparisons += item.field.comparisons
                existing.field.regressions += item.field.regressions
                existing.field.noise += item.field.noise
                existing.field.races += item.field.races
                existing.field.firstSeen = ReportAssembler.earliest(existing.field.firstSeen, item.field.firstSeen)
                existing.field.lastSeen = ReportAssembler.latest(existing.field.lastSeen, item.field.lastSeen)
                merged[key] = existing
            }
        }
        return order.map { merged[$0]! }
    }
}
