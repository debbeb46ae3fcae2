import Foundation
import TapCompareCore

/// The ``ReportSource`` over a ledger database (SQLite or Postgres): aggregate queries in the database, the
/// report assembled in Swift.
///
/// The report is three scans, run side by side on Postgres: comparisons grouped by route, time bucket, outcome,
/// status pair, instance and reason (every count, the timeline and the status mix come from that one small result);
/// latency percentiles per route; discrepancies grouped by route, field and kind. Examples and noise samples are
/// then read per field through the `(route, field, kind, recorded_at)` index, newest first and bounded.
public struct LedgerReportSource: ReportSource {
    let database: any ReviewDatabase
    public let ledgerDescription: String
    /// When a field is suggested as noise. Default ``NoisePolicy/init(minimumShare:minimumSamples:sampleSize:)``.
    public var noisePolicy: NoisePolicy
    /// Most buckets in the timeline. Default 60.
    public var maximumBuckets: Int

    public init(database: any ReviewDatabase, ledgerDescription: String, noisePolicy: NoisePolicy = NoisePolicy(), maximumBuckets: Int = 60) {
        self.database = database
        self.ledgerDescription = ledgerDescription
        self.noisePolicy = noisePolicy
        self.maximumBuckets = maximumBuckets
    }

    var dialect: SQLDialect { self.database.dialect }

    // MARK: Report

    public func report(_ query: ReportQuery) async throws -> Report {
        // The field scan runs beside the summary; the per-field reads need the routes' compared counts, which
        // the summary has, so they follow it.
        var report: Report
        let aggregates: [FieldAggregate]
        if self.database.allowsConcurrentQueries {
            async let summary = self.summary(query, includeLatency: true)
            async let fields = self.fieldAggregates(query)
            report = try await summary
            aggregates = try await fields
        } else {
            report = try await self.summary(query, includeLatency: true)
            aggregates = try await self.fieldAggregates(query)
        }
        let compared = Dictionary(report.routes.map { ($0.route, $0.compared) }, uniquingKeysWith: { a, _ in a })
        self.attach(try await self.detailedFields(aggregates, compared: compared, query: query), to: &report)
        return report
    }

    private func attach(_ fieldsByRoute: [String: [FieldReport]], to report: inout Report) {
        for i in report.routes.indices {
            report.routes[i].fields = fieldsByRoute[report.routes[i].route] ?? []
        }
    }

    public func summary(_ query: ReportQuery, includeLatency: Bool) async throws -> Report {
        let span = try await self.span(query)
        let plan = TimelinePlan(from: query.from ?? span.first, to: query.to ?? span.last.map { $0.addingTimeInterval(0.001) }, maximumBuckets: self.maximumBuckets)
        let groups: [OutcomeGroup]
        let timeline: [Int: (compared: Int, regressed: Int)]
        let latency: [String: LatencyComparison]
        if self.database.allowsConcurrentQueries {
            async let g = self.outcomeGroups(query)
            async let t = self.timeline(query, plan: plan)
            async let l = includeLatency ? self.latency(query) : [:]
            groups = try await g
            timeline = try await t
            latency = try await l
        } else {
            groups = try await self.outcomeGroups(query)
            timeline = try await self.timeline(query, plan: plan)
            latency = includeLatency ? try await self.latency(query) : [:]
        }
        let gaps = try await self.gaps(query, span: span)
        var report = ReportAssembler.assemble(
            ledger: self.ledgerDescription, query: query, plan: plan, groups: groups, timeline: timeline, latency: latency, gaps: gaps
        )
        report.learnedNoise = try await self.learnedNoise(query)
        return report
    }

    // MARK: Filters

    /// Appends ` AND …` conditions for the query's window, route and run. `table` is `comparisons` or
    /// `discrepancies` (which has no `run_id`: a run filter goes through the comparison).
    func appendFilters(_ sql: inout SQLBuilder, _ query: ReportQuery, table: String) {
        if let from = query.from {
            sql.append(" AND recorded_at >= ")
            sql.bind(.time(from))
        }
        if let to = query.to {
            sql.append(" AND recorded_at < ")
            sql.bind(.time(to))
        }
        if let route = query.route {
            sql.append(" AND route = ")
            sql.bind(.text(route))
        }
        if let run = query.runID {
            if table == "comparisons" {
                sql.append(" AND run_id = ")
            } else {
                sql.append(" AND comparison_id IN (SELECT id FROM \(self.dialect.table("comparisons")) WHERE run_id = ")
            }
            sql.bind(.text(run))
            if table != "comparisons" { sql.append(")") }
        }
    }

    // MARK: Queries

    struct Span {
        var first: Date?
        var last: Date?
    }

    func span(_ query: ReportQuery) async throws -> Span {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT \(self.dialect.timeText("min(recorded_at)")), \(self.dialect.timeText("max(recorded_at)")) FROM \(self.dialect.table("comparisons")) WHERE 1 = 1")
        self.appendFilters(&sql, query, table: "comparisons")
        let rows = try await self.database.query(sql.sql, sql.binds)
        return Span(first: rows.first?.date(0), last: rows.first?.date(1))
    }

    /// One row of the grouped comparisons scan.
    struct OutcomeGroup {
        var route: String
        var outcome: String
        var legacyStatus: Int?
        var candidateStatus: Int?
        var instance: String
        var reason: String?
        var count: Int
        var regressed: Int
        var first: Date?
        var last: Date?
    }

    /// Counts by route, outcome, status pair, instance and reason: few groups, so the database aggregates in
    /// parallel with a hash table (a time bucket in the same grouping would look like a million groups to the
    /// planner, which then sorts every row).
    func outcomeGroups(_ query: ReportQuery) async throws -> [OutcomeGroup] {
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
        let rows = try await self.database.query(sql.sql, sql.binds)
        return rows.map { r in
            OutcomeGroup(
                route: r.string(0) ?? "", outcome: r.string(1) ?? "", legacyStatus: r.int(2), candidateStatus: r.int(3),
                instance: r.string(4) ?? "", reason: r.string(5), count: r.int(6) ?? 0, regressed: r.int(7) ?? 0,
                first: r.date(8), last: r.date(9)
            )
        }
    }

    /// Compared and regressed requests per timeline bucket.
    func timeline(_ query: ReportQuery, plan: TimelinePlan) async throws -> [Int: (compared: Int, regressed: Int)] {
        guard let origin = plan.origin else { return [:] }
        var sql = SQLBuilder(self.dialect)
        let epoch = self.dialect.epochMilliseconds("recorded_at")
        sql.append("SELECT ")
        sql.append(self.dialect == .postgres ? "floor((\(epoch) - " : "CAST(((\(epoch) - ")
        sql.bind(.double(origin.timeIntervalSince1970 * 1000))
        sql.append(") / ")
        sql.bind(.double(Double(plan.bucketSeconds) * 1000))
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
        for r in try await self.database.query(sql.sql, sql.binds) {
            if let b = r.int(0) { out[b] = (r.int(1) ?? 0, r.int(2) ?? 0) }
        }
        return out
    }

    /// Nearest-rank p50/p90/p99 per route and side, over compared requests (match or mismatch).
    func latency(_ query: ReportQuery) async throws -> [String: LatencyComparison] {
        var sql = SQLBuilder(self.dialect)
        var result: [String: LatencyComparison] = [:]
        switch self.dialect {
        case .postgres:
            sql.append("""
                SELECT route, l[1], l[2], l[3], c[1], c[2], c[3] FROM (
                  SELECT route,
                    percentile_disc(ARRAY[0.5, 0.9, 0.99]::float8[]) WITHIN GROUP (ORDER BY legacy_ms) AS l,
                    percentile_disc(ARRAY[0.5, 0.9, 0.99]::float8[]) WITHIN GROUP (ORDER BY candidate_ms) AS c
                  FROM tapcompare.comparisons WHERE outcome IN ('match', 'mismatch')
                """)
            self.appendFilters(&sql, query, table: "comparisons")
            sql.append(" GROUP BY route) s")
            for r in try await self.database.query(sql.sql, sql.binds) {
                guard let route = r.string(0) else { continue }
                var comparison = LatencyComparison()
                if let a = r.double(1), let b = r.double(2), let c = r.double(3) { comparison.legacy = Percentiles(p50: a, p90: b, p99: c) }
                if let a = r.double(4), let b = r.double(5), let c = r.double(6) { comparison.candidate = Percentiles(p50: a, p90: b, p99: c) }
                result[route] = comparison.withRatio()
            }
        case .sqlite:
            sql.append("SELECT route, side, rn, n, ms FROM (")
            for (i, side) in ["legacy", "candidate"].enumerated() {
                if i > 0 { sql.append(" UNION ALL ") }
                sql.append("""
                    SELECT route, '\(side)' AS side, \(side)_ms AS ms,
                      row_number() OVER (PARTITION BY route ORDER BY \(side)_ms) AS rn,
                      count(*) OVER (PARTITION BY route) AS n
                    FROM comparisons WHERE outcome IN ('match', 'mismatch') AND \(side)_ms IS NOT NULL
                    """)
                self.appendFilters(&sql, query, table: "comparisons")
            }
            sql.append(") WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 90 + 99) / 100 OR rn = (n * 99 + 99) / 100")
            var values: [String: [String: [Int: Double]]] = [:]
            var counts: [String: [String: Int]] = [:]
            for r in try await self.database.query(sql.sql, sql.binds) {
                guard let route = r.string(0), let side = r.string(1), let rank = r.int(2), let n = r.int(3), let ms = r.double(4) else { continue }
                values[route, default: [:]][side, default: [:]][rank] = ms
                counts[route, default: [:]][side] = n
            }
            for (route, sides) in values {
                var comparison = LatencyComparison()
                for (side, ranks) in sides {
                    let n = counts[route]?[side] ?? 0
                    guard let p50 = ranks[(n * 50 + 99) / 100], let p90 = ranks[(n * 90 + 99) / 100], let p99 = ranks[(n * 99 + 99) / 100] else { continue }
                    let p = Percentiles(p50: p50, p90: p90, p99: p99)
                    if side == "legacy" { comparison.legacy = p } else { comparison.candidate = p }
                }
                result[route] = comparison.withRatio()
            }
        }
        return result
    }

    func gaps(_ query: ReportQuery, span: Span) async throws -> [GapReport] {
        var sql = SQLBuilder(self.dialect)
        sql.append("SELECT instance, \(self.dialect.timeText("from_time")), \(self.dialect.timeText("to_time")), count, reason FROM \(self.dialect.table("ledger_gaps")) WHERE 1 = 1")
        // A gap overlaps [from, to) when it ends at or after `from` and starts before `to`.
        if let from = query.from ?? span.first {
            sql.append(" AND to_time >= ")
            sql.bind(.time(from))
        }
        if let to = query.to {
            sql.append(" AND from_time < ")
            sql.bind(.time(to))
        } else if let last = span.last {
            sql.append(" AND from_time <= ")
            sql.bind(.time(last))
        }
        sql.append(" ORDER BY from_time")
        return try await self.database.query(sql.sql, sql.binds).map { r in
            GapReport(instance: r.string(0) ?? "", from: r.date(1), to: r.date(2), count: r.int(3) ?? 0, reason: r.string(4) ?? "")
        }
    }
}

extension LatencyComparison {
    /// Fills ``ratio`` (candidate ÷ legacy) when both sides are known and legacy is not zero.
    func withRatio() -> LatencyComparison {
        var copy = self
        if let l = self.legacy, let c = self.candidate, l.p50 > 0, l.p90 > 0, l.p99 > 0 {
            copy.ratio = Percentiles(p50: c.p50 / l.p50, p90: c.p90 / l.p90, p99: c.p99 / l.p99)
        }
        return copy
    }
}
