import Foundation

extension LedgerReader {
    /// The store checks of the window, grouped by route, store, outcome, reason, leading classification and
    /// "missing": a few rows per (write route, store).
    ///
    /// Rollups do not know `store`, so this reads the raw rows, through the partial index on `recorded_at` of the
    /// rows with a store (schema version 5): its cost grows with the window's store checks, not its HTTP traffic.
    /// The query's route filter and exclusions are not applied (the caller filters: a route names a write route or
    /// one store check route). Empty on a ledger older than schema version 4 (no store checks can be in it).
    package func storeCheckGroups(_ query: LedgerQuery) async throws -> [LedgerStoreCheckGroup] {
        guard try await self.stores.check(self.database) else { return [] }
        let d = self.dialect
        let discrepancies = d.table("discrepancies")
        // A comparison's discrepancies, by its id: on Postgres with the partition key too, so one day's partition
        // is probed; on SQLite by id alone, the primary key's prefix (a time condition there steers the planner
        // to the time index instead).
        let same = d == .postgres ? "d.comparison_id = c.id AND d.recorded_at = c.recorded_at" : "d.comparison_id = c.id"
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT route, store, outcome, why, lead_class, missing, count(*), \(d.timeText("min(recorded_at)")), \(d.timeText("max(recorded_at)"))
            FROM (SELECT route, store, outcome, recorded_at,
              CASE WHEN outcome IN ('match', 'mismatch') THEN NULL ELSE reason END AS why,
              CASE WHEN outcome <> 'mismatch' THEN NULL
                WHEN regression_count > 0 THEN 'regression'
                WHEN EXISTS (SELECT 1 FROM \(discrepancies) d WHERE \(same) AND d.classification = 'race') THEN 'race'
                ELSE 'noise' END AS lead_class,
              CASE WHEN outcome = 'mismatch' AND EXISTS (SELECT 1 FROM \(discrepancies) d WHERE \(same) AND d.path = ''
                AND d.kind IN ('missing_in_candidate', 'missing_in_legacy')) THEN 1 ELSE 0 END AS missing
            FROM \(d.table("comparisons")) c WHERE store IS NOT NULL
            """)
        var q = query
        q.route = nil
        q.excludedRoutes = []
        self.appendFilters(&sql, q, table: "comparisons")
        sql.append(") s GROUP BY route, store, outcome, why, lead_class, missing")
        return try await self.rows(sql).map { r in
            LedgerStoreCheckGroup(
                route: r.string(0) ?? "", store: r.string(1) ?? "", outcome: r.string(2) ?? "", reason: r.string(3),
                classification: r.string(4), missing: (r.int(5) ?? 0) > 0, count: r.int(6) ?? 0, first: r.date(7), last: r.date(8)
            )
        }
    }

    /// The store checks of a write, through the `linked_comparison_id` index. Checks are recorded after their
    /// write, so on Postgres only partitions from the write's day on are probed. Empty on a ledger older than
    /// schema version 4.
    package func storeCheckLinks(of id: UUID, recordedAt: Date?) async throws -> [LedgerStoreCheckLink] {
        guard try await self.stores.check(self.database) else { return [] }
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("""
            SELECT \(d.uuidText("id")), store, \(d.timeText("recorded_at")), outcome, reason, discrepancy_count, regression_count
            FROM \(d.table("comparisons")) WHERE linked_comparison_id = 
            """)
        sql.bind(.uuid(id))
        sql.append(" AND store IS NOT NULL")
        if let recordedAt {
            sql.append(" AND recorded_at >= ")
            sql.bind(.time(recordedAt))
        }
        // Bounded: a write has one check per store of its route; the limit only guards a hand-edited ledger.
        sql.append(" ORDER BY store, recorded_at LIMIT 100")
        return try await self.rows(sql).map { r in
            LedgerStoreCheckLink(
                id: r.string(0) ?? "", store: r.string(1) ?? "", recordedAt: r.date(2), outcome: r.string(3) ?? "",
                reason: r.string(4), discrepancyCount: r.int(5) ?? 0, regressionCount: r.int(6) ?? 0
            )
        }
    }
}
