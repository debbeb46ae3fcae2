import Foundation

extension LedgerReader {
    /// Counts by route, outcome, status pair, instance and reason over a window: rollup hours and raw edges (the
    /// caller adds groups with the same key).
    package func outcomeGroups(_ window: RollupWindow) async throws -> [LedgerOutcomeGroup] {
        var groups: [LedgerOutcomeGroup] = []
        if let hours = window.hours {
            groups += try await self.rollupOutcomeGroups(hours, window.query)
        }
        for part in window.raw {
            groups += try await self.outcomeGroups(part)
        }
        return groups
    }

    /// Counts by route, outcome, status pair, instance and reason from the raw rows: few groups, so the database
    /// aggregates in parallel with a hash table (a time bucket in the same grouping would look like a million
    /// groups to the planner, which then sorts every row).
    func outcomeGroups(_ query: LedgerQuery) async throws -> [LedgerOutcomeGroup] {
        var sql = SQLBuilder(self.dialect)
        sql.append("""
            SELECT route, outcome, legacy_status, candidate_status, instance,
            CASE WHEN outcome IN ('match', 'mismatch') THEN NULL ELSE reason END AS why,
            count(*), sum(CASE WHEN outcome = 'mismatch' AND regression_count > 0 THEN 1 ELSE 0 END),
            \(self.dialect.timeText("min(recorded_at)")), \(self.dialect.timeText("max(recorded_at)"))
            FROM \(self.dialect.table("comparisons")) WHERE 1 = 1
            """)
        self.appendFilters(&sql, query, table: "comparisons")
        sql.append(" GROUP BY 1, 2, 3, 4, 5, 6")
        return try await self.rows(sql).map { r in
            LedgerOutcomeGroup(
                route: r.string(0) ?? "", outcome: r.string(1) ?? "", legacyStatus: r.int(2), candidateStatus: r.int(3),
                instance: r.string(4) ?? "", reason: r.string(5), count: r.int(6) ?? 0, regressed: r.int(7) ?? 0,
                first: r.date(8), last: r.date(9)
            )
        }
    }

    /// ``outcomeGroups(_:)-(LedgerQuery)`` over rollup hours.
    func rollupOutcomeGroups(_ hours: RollupWindow.Hours, _ query: LedgerQuery) async throws -> [LedgerOutcomeGroup] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT route, outcome, legacy_status, candidate_status, instance, reason, \(d.sum("comparisons")), \(d.sum("regressed")),
            \(d.timeText("min(first_seen)")), \(d.timeText("max(last_seen)"))
            FROM \(d.table("rollup_outcomes")) WHERE 1 = 1
            """)
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY route, outcome, legacy_status, candidate_status, instance, reason")
        return try await self.rows(sql).map { r in
            let legacy = r.int(2) ?? -1, candidate = r.int(3) ?? -1, reason = r.string(5) ?? ""
            return LedgerOutcomeGroup(
                route: r.string(0) ?? "", outcome: r.string(1) ?? "", legacyStatus: legacy < 0 ? nil : legacy,
                candidateStatus: candidate < 0 ? nil : candidate, instance: r.string(4) ?? "",
                reason: reason.isEmpty ? nil : reason, count: r.int(6) ?? 0, regressed: r.int(7) ?? 0,
                first: r.date(8), last: r.date(9)
            )
        }
    }

    /// Compared and regressed requests per rollup hour (a timeline of whole-hour buckets sums them).
    package func hourlyCompared(_ hours: RollupWindow.Hours, _ query: LedgerQuery) async throws -> [(hour: Date, compared: Int, regressed: Int)] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT \(d.timeText("hour")), \(d.sum("comparisons")), \(d.sum("regressed")) FROM \(d.table("rollup_outcomes")) WHERE outcome IN ('match', 'mismatch')")
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY hour")
        return try await self.rows(sql).compactMap { r in
            guard let hour = r.date(0) else { return nil }
            return (hour, r.int(1) ?? 0, r.int(2) ?? 0)
        }
    }

    /// Compared and regressed requests per time bucket of `bucketSeconds` from `origin` (bucket 0), from the raw
    /// rows.
    package func timelineBuckets(_ query: LedgerQuery, origin: Date, bucketSeconds: Int) async throws -> [Int: (compared: Int, regressed: Int)] {
        var sql = SQLBuilder(self.dialect)
        let epoch = self.dialect.epochMilliseconds("recorded_at")
        sql.append("SELECT ")
        sql.append(self.dialect == .postgres ? "floor((\(epoch) - " : "CAST(((\(epoch) - ")
        sql.bind(.double(origin.timeIntervalSince1970 * 1000))
        sql.append(") / ")
        sql.bind(.double(Double(bucketSeconds) * 1000))
        sql.append(self.dialect == .postgres ? ")::bigint" : ") AS INTEGER)")
        sql.append(" AS bucket, CASE WHEN outcome = 'mismatch' AND regression_count > 0 THEN 1 ELSE 0 END AS regressed FROM \(self.dialect.table("comparisons")) WHERE outcome IN ('match', 'mismatch')")
        self.appendFilters(&sql, query, table: "comparisons")
        // Postgres estimates a GROUP BY on an expression of `recorded_at` at one group per row and then sorts
        // every row; behind `OFFSET 0` (a planning fence) it assumes few groups and hashes (measured 1.9 s → 1.2 s
        // over 950,000 rows in bench/report.sh).
        sql.append(self.dialect == .postgres ? " OFFSET 0" : "")
        let inner = sql.sql
        var outer = SQLBuilder(self.dialect)
        outer.append("SELECT bucket, count(*), sum(regressed) FROM (\(inner)) s GROUP BY bucket")
        sql = SQLBuilder(self.dialect, sql: outer.sql, binds: sql.binds)
        var out: [Int: (compared: Int, regressed: Int)] = [:]
        for r in try await self.rows(sql) {
            if let b = r.int(0) { out[b] = (r.int(1) ?? 0, r.int(2) ?? 0) }
        }
        return out
    }

    /// Per route, the window's mismatches with a `race` discrepancy and no `regression` one. Read from the raw
    /// discrepancies (the rollups count outcomes, not classifications per comparison): only those few rows match.
    package func raceOnlyMismatches(_ query: LedgerQuery) async throws -> [String: Int] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT route, count(DISTINCT comparison_id) FROM \(d.table("discrepancies")) race WHERE classification = 'race'
            AND NOT EXISTS (SELECT 1 FROM \(d.table("discrepancies")) regression WHERE regression.comparison_id = race.comparison_id
                AND regression.recorded_at = race.recorded_at AND regression.classification = 'regression')
            """)
        self.appendFilters(&sql, query, table: "discrepancies")
        sql.append(" GROUP BY route")
        var out: [String: Int] = [:]
        for row in try await self.rows(sql) {
            out[row.string(0) ?? "", default: 0] += row.int(1) ?? 0
        }
        return out
    }

    /// The `ledger_gaps` rows overlapping a window, oldest first. A gap overlaps when it ends at or after `from`
    /// and starts before `to` (or, for an open end, at or before `last`, the window's last comparison).
    package func gaps(from: Date?, to: Date?, last: Date?) async throws -> [LedgerGap] {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT \(d.uuidText("id")), instance, \(d.timeText("from_time")), \(d.timeText("to_time")), count, reason FROM \(d.table("ledger_gaps")) WHERE 1 = 1")
        if let from {
            sql.append(" AND to_time >= ")
            sql.bind(.time(from))
        }
        if let to {
            sql.append(" AND from_time < ")
            sql.bind(.time(to))
        } else if let last {
            sql.append(" AND from_time <= ")
            sql.bind(.time(last))
        }
        sql.append(" ORDER BY from_time")
        return try await self.rows(sql).map { r in
            LedgerGap(
                id: r.string(0).flatMap(UUID.init(uuidString:)) ?? UUID(), instance: r.string(1) ?? "",
                from: r.date(2) ?? Date(timeIntervalSince1970: 0), to: r.date(3) ?? Date(timeIntervalSince1970: 0),
                count: r.int(4) ?? 0, reason: r.string(5) ?? ""
            )
        }
    }
}
