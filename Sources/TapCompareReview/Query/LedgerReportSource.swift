import Foundation
import TapCompareCore
import TapCompareLedger

/// The ``ReportSource`` over a ledger database (SQLite or Postgres): aggregate queries in the database, the
/// report assembled in Swift.
///
/// Every figure is read from the hourly rollups (`rollup_outcomes`, `rollup_latency`, `rollup_fields`, kept by
/// the writer in the same transaction as the raw rows) for the window's whole hours, and from the raw rows for
/// the partial hours at its edges (``RollupWindow``), so a report over months costs about as much as one over a
/// day. The parts are disjoint and every count is a sum, so counts equal the raw computation exactly; latency
/// percentiles come from fixed log-scale buckets (``LatencyBuckets``), within 1 % of the nearest-rank value. On a
/// ledger without rollups (schema version 1) everything is read from the raw rows.
///
/// Three reads, run side by side on Postgres: comparisons grouped by route, outcome, status pair, instance and
/// reason (every count and the status mix come from that one small result); latency histograms per route; the
/// timeline. Discrepancies are grouped by route, field and kind. Examples and noise samples are then read per
/// field through the `(route, field, kind, recorded_at)` index, newest first and bounded.
public struct LedgerReportSource: ReportSource {
    let database: any ReviewDatabase
    /// Schema version 2: the hourly rollups.
    let rollups = MigrationAvailability(version: 2)
    /// Schema version 4: `comparisons.store`, the store checks.
    let stores = MigrationAvailability(version: 4)
    /// Schema version 6: `problem_status`, the reviewers' statuses of problems.
    let problemStatusTable = MigrationAvailability(version: 6)
    /// Schema version 7: `comparisons.candidate_version`, the versions a problem was seen with.
    let candidateVersions = MigrationAvailability(version: 7)
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
        // The store checks come first: the HTTP figures leave their routes out. The field scan (over every route,
        // store checks included, split afterwards) runs beside the summary; the per-field reads need the routes'
        // compared counts, which the summary has, so they follow it.
        let storeChecks = try await self.storeChecks(query)
        var report: Report
        let aggregates: [FieldAggregate]
        let window = try await self.window(query)
        if self.database.allowsConcurrentQueries {
            async let summary = self.summary(query, includeLatency: true, storeChecks: storeChecks)
            async let fields = self.fieldAggregates(window)
            report = try await summary
            aggregates = try await fields
        } else {
            report = try await self.summary(query, includeLatency: true, storeChecks: storeChecks)
            aggregates = try await self.fieldAggregates(window)
        }
        var compared = Dictionary(report.routes.map { ($0.route, $0.compared) }, uniquingKeysWith: { a, _ in a })
        var storeAggregates: [FieldAggregate] = []
        for check in storeChecks {
            for row in check.stores {
                compared[row.route] = row.compared
                // A write route's filter selects none of its store checks' fields: read them by their own route.
                if let route = query.route, route != row.route {
                    var q = query
                    q.route = row.route
                    storeAggregates += try await self.fieldAggregates(try await self.window(q))
                }
            }
        }
        let fieldsByRoute = try await self.detailedFields(aggregates + storeAggregates, compared: compared, query: query)
        self.attach(fieldsByRoute, to: &report)
        // Problems over every route of the window, store checks included (their own routes).
        let problems = try await self.problems(query, compared: compared)
        report.problems = problems.problems
        report.problemsTruncated = problems.truncated
        report.signatureSets = problems.signatureSets
        report.signatureSetsOmitted = problems.signatureSetsOmitted
        return report
    }

    private func attach(_ fieldsByRoute: [String: [FieldReport]], to report: inout Report) {
        for i in report.routes.indices {
            report.routes[i].fields = fieldsByRoute[report.routes[i].route] ?? []
        }
        for i in report.storeChecks.indices {
            for j in report.storeChecks[i].stores.indices {
                report.storeChecks[i].stores[j].fields = fieldsByRoute[report.storeChecks[i].stores[j].route] ?? []
            }
        }
    }

    public func summary(_ query: ReportQuery, includeLatency: Bool) async throws -> Report {
        try await self.summary(query, includeLatency: includeLatency, storeChecks: try await self.storeChecks(query))
    }

    /// The summary with the window's store checks already read: their routes are left out of every HTTP figure
    /// and they are reported in ``Report/storeChecks``.
    func summary(_ query: ReportQuery, includeLatency: Bool, storeChecks: [StoreCheckRoute]) async throws -> Report {
        let query = self.httpQuery(query, storeChecks: storeChecks)
        let window = try await self.window(query)
        let groups: [OutcomeGroup]
        let latency: [String: LatencyComparison]
        if self.database.allowsConcurrentQueries {
            async let g = self.outcomeGroups(window)
            async let l = includeLatency ? self.latency(window) : [:]
            groups = try await g
            latency = try await l
        } else {
            groups = try await self.outcomeGroups(window)
            latency = includeLatency ? try await self.latency(window) : [:]
        }
        // The span of the rows in the window, from the groups' first and last times.
        let span = Span(
            first: groups.reduce(nil) { ReportAssembler.earliest($0, $1.first) },
            last: groups.reduce(nil) { ReportAssembler.latest($0, $1.last) }
        )
        let plan = TimelinePlan(from: query.from ?? span.first, to: query.to ?? span.last.map { $0.addingTimeInterval(0.001) }, maximumBuckets: self.maximumBuckets)
        let timeline = try await self.timeline(query, window: window, plan: plan)
        let gaps = try await self.gaps(query, span: span)
        var report = ReportAssembler.assemble(
            ledger: self.ledgerDescription, query: query, plan: plan, groups: groups, timeline: timeline, latency: latency, gaps: gaps
        )
        report.storeChecks = storeChecks
        report.learnedNoise = try await self.learnedNoise(query)
        Self.split(&report, races: try await self.raceOnlyMismatches(query))
        return report
    }

    /// Splits each route's and the overview's noise-or-race-only mismatches into races and noise.
    static func split(_ report: inout Report, races: [String: Int]) {
        var total = 0
        for i in report.routes.indices {
            let r = min(races[report.routes[i].route] ?? 0, report.routes[i].noiseOrRaceOnly)
            report.routes[i].raceOnly = r
            report.routes[i].noiseOnly = report.routes[i].noiseOrRaceOnly - r
            total += r
        }
        report.overview.raceOnly = min(total, report.overview.noiseOrRaceOnly)
        report.overview.noiseOnly = report.overview.noiseOrRaceOnly - report.overview.raceOnly
    }

    /// Per route, the window's mismatches with a `race` discrepancy and no `regression` one. Read from the raw
    /// discrepancies (the rollups count outcomes, not classifications per comparison): only those few rows match.
    func raceOnlyMismatches(_ query: ReportQuery) async throws -> [String: Int] {
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
        for row in try await self.database.query(sql.sql, sql.binds) {
            out[row.string(0) ?? "", default: 0] += row.int(1) ?? 0
        }
        return out
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
        Self.appendExclusions(&sql, query)
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

    /// Appends ` AND route NOT IN (…)` for the query's ``ReportQuery/excludedRoutes`` (a few store-check routes:
    /// one per write route and store).
    static func appendExclusions(_ sql: inout SQLBuilder, _ query: ReportQuery) {
        guard !query.excludedRoutes.isEmpty else { return }
        sql.append(" AND route NOT IN (")
        for (i, route) in query.excludedRoutes.enumerated() {
            if i > 0 { sql.append(", ") }
            sql.bind(.text(route))
        }
        sql.append(")")
    }

    // MARK: Queries

    struct Span {
        var first: Date?
        var last: Date?
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

    /// Counts by route, outcome, status pair, instance and reason over a window: rollup hours and raw edges (the
    /// assembler adds groups with the same key).
    func outcomeGroups(_ window: RollupWindow) async throws -> [OutcomeGroup] {
        var groups: [OutcomeGroup] = []
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

    /// Compared and regressed requests per timeline bucket over a window. Buckets of whole hours (windows longer
    /// than about a day) add up rollup hours and the raw edges; shorter buckets need the raw rows.
    func timeline(_ query: ReportQuery, window: RollupWindow, plan: TimelinePlan) async throws -> [Int: (compared: Int, regressed: Int)] {
        guard let origin = plan.origin else { return [:] }
        guard let hours = window.hours, plan.bucketSeconds % 3600 == 0 else {
            return try await self.timeline(query, plan: plan)
        }
        var out: [Int: (compared: Int, regressed: Int)] = [:]
        for (hour, compared, regressed) in try await self.rollupHourlyCompared(hours, query) {
            let b = Int(((hour.timeIntervalSince1970 - origin.timeIntervalSince1970) / Double(plan.bucketSeconds)).rounded(.down))
            let current = out[b] ?? (0, 0)
            out[b] = (current.compared + compared, current.regressed + regressed)
        }
        for part in window.raw {
            for (b, counts) in try await self.timeline(part, plan: plan) {
                let current = out[b] ?? (0, 0)
                out[b] = (current.compared + counts.compared, current.regressed + counts.regressed)
            }
        }
        return out
    }

    /// Compared and regressed requests per timeline bucket, from the raw rows.
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

    /// p50/p90/p99 per route and side over compared requests (match or mismatch): nearest rank over the latency
    /// histograms (rollup hours plus the raw edges bucketed alike), each value within
    /// ``LatencyBuckets/relativeError`` of the exact nearest-rank latency.
    func latency(_ window: RollupWindow) async throws -> [String: LatencyComparison] {
        var histograms: [String: [String: [Int: Int]]] = [:]
        if let hours = window.hours {
            try await self.rollupLatency(hours, window.query, into: &histograms)
        }
        for part in window.raw {
            try await self.rawLatency(part, into: &histograms)
        }
        return Self.latency(histograms)
    }

    /// Percentiles of `[route: [side: [bucket: count]]]` histograms.
    static func latency(_ histograms: [String: [String: [Int: Int]]]) -> [String: LatencyComparison] {
        var result: [String: LatencyComparison] = [:]
        for (route, sides) in histograms {
            var comparison = LatencyComparison()
            for (side, counts) in sides {
                guard let v = LatencyBuckets.percentiles(counts, [0.5, 0.9, 0.99]) else { continue }
                let p = Percentiles(p50: v[0], p90: v[1], p99: v[2])
                if side == "legacy" { comparison.legacy = p } else { comparison.candidate = p }
            }
            result[route] = comparison.withRatio()
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
