import Foundation

extension LedgerReader {
    /// Latency histograms of compared requests (match or mismatch) per route and side over a window,
    /// `[route: [side: [bucket: count]]]` with `side` `legacy` or `candidate` and buckets of ``LatencyBuckets``:
    /// rollup hours plus the raw edges bucketed alike.
    package func latencyHistograms(_ window: RollupWindow) async throws -> [String: [String: [Int: Int]]] {
        var histograms: [String: [String: [Int: Int]]] = [:]
        if let hours = window.hours {
            try await self.rollupLatency(hours, window.query, into: &histograms)
        }
        for part in window.raw {
            try await self.rawLatency(part, into: &histograms)
        }
        return histograms
    }

    /// The histograms over rollup hours.
    func rollupLatency(_ hours: RollupWindow.Hours, _ query: LedgerQuery, into histograms: inout [String: [String: [Int: Int]]]) async throws {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT route, side, bucket, \(d.sum("count")) FROM \(d.table("rollup_latency")) WHERE 1 = 1")
        self.appendRollupFilters(&sql, hours, query)
        sql.append(" GROUP BY route, side, bucket")
        Self.add(try await self.rows(sql), to: &histograms)
    }

    /// The same histograms from raw rows (the partial hours at a window's edges), bucketed by the database with the
    /// writer's function.
    func rawLatency(_ query: LedgerQuery, into histograms: inout [String: [String: [Int: Int]]]) async throws {
        let d = self.dialect
        var sql = SQLBuilder(d)
        sql.append("SELECT route, side, bucket, count(*) FROM (")
        for (i, side) in ["legacy", "candidate"].enumerated() {
            if i > 0 { sql.append(" UNION ALL ") }
            sql.append("SELECT route, '\(side)' AS side, \(d.latencyBucket("\(side)_ms")) AS bucket FROM \(d.table("comparisons")) WHERE outcome IN ('match', 'mismatch') AND \(side)_ms IS NOT NULL")
            self.appendFilters(&sql, query, table: "comparisons")
        }
        sql.append(") s GROUP BY route, side, bucket")
        Self.add(try await self.rows(sql), to: &histograms)
    }

    /// Adds rows `route, side, bucket, count` to the histograms.
    private static func add(_ rows: [LedgerReadRow], to histograms: inout [String: [String: [Int: Int]]]) {
        for r in rows {
            guard let route = r.string(0), let side = r.string(1), let bucket = r.int(2) else { continue }
            histograms[route, default: [:]][side, default: [:]][bucket, default: 0] += r.int(3) ?? 0
        }
    }
}
