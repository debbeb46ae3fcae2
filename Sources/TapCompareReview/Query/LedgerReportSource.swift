import Foundation
import TapCompareCore
import TapCompareLedger

/// The ``ReportSource`` over a ledger (SQLite or Postgres): aggregate queries in the database, run by the ledger's
/// ``LedgerReader`` (the ledger module owns every statement), and the report assembled here in Swift.
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
    let reader: LedgerReader
    public let ledgerDescription: String
    /// When a field is suggested as noise. Default ``NoisePolicy/init(minimumShare:minimumSamples:sampleSize:)``.
    public var noisePolicy: NoisePolicy
    /// Most buckets in the timeline. Default 60.
    public var maximumBuckets: Int

    public init(reader: LedgerReader, ledgerDescription: String, noisePolicy: NoisePolicy = NoisePolicy(), maximumBuckets: Int = 60) {
        self.reader = reader
        self.ledgerDescription = ledgerDescription
        self.noisePolicy = noisePolicy
        self.maximumBuckets = maximumBuckets
    }

    /// Runs `body`, turning a failed ledger read into the ``ReviewError`` commands and the API report.
    func reviewing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as LedgerError {
            throw ReviewError.reading(error)
        }
    }

    // MARK: Report

    public func report(_ query: ReportQuery) async throws -> Report {
        try await self.reviewing { try await self.fullReport(query) }
    }

    func fullReport(_ query: ReportQuery) async throws -> Report {
        // The store checks come first: the HTTP figures leave their routes out. The field scan (over every route,
        // store checks included, split afterwards) runs beside the summary; the per-field reads need the routes'
        // compared counts, which the summary has, so they follow it.
        let storeChecks = try await self.storeCheckRoutes(query)
        var report: Report
        let aggregates: [FieldAggregate]
        let window = try await self.reader.window(query)
        if self.reader.allowsConcurrentQueries {
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
                    storeAggregates += try await self.fieldAggregates(try await self.reader.window(q))
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
        try await self.reviewing {
            try await self.summary(query, includeLatency: includeLatency, storeChecks: try await self.storeCheckRoutes(query))
        }
    }

    /// The summary with the window's store checks already read: their routes are left out of every HTTP figure
    /// and they are reported in ``Report/storeChecks``.
    func summary(_ query: ReportQuery, includeLatency: Bool, storeChecks: [StoreCheckRoute]) async throws -> Report {
        let query = self.httpQuery(query, storeChecks: storeChecks)
        let window = try await self.reader.window(query)
        let groups: [OutcomeGroup]
        let latency: [String: LatencyComparison]
        if self.reader.allowsConcurrentQueries {
            async let g = self.reader.outcomeGroups(window)
            async let l = includeLatency ? self.latency(window) : [:]
            groups = try await g
            latency = try await l
        } else {
            groups = try await self.reader.outcomeGroups(window)
            latency = includeLatency ? try await self.latency(window) : [:]
        }
        // The span of the rows in the window, from the groups' first and last times.
        let span = Span(
            first: groups.reduce(nil) { ReportAssembler.earliest($0, $1.first) },
            last: groups.reduce(nil) { ReportAssembler.latest($0, $1.last) }
        )
        let plan = TimelinePlan(from: query.from ?? span.first, to: query.to ?? span.last.map { $0.addingTimeInterval(0.001) }, maximumBuckets: self.maximumBuckets)
        let timeline = try await self.timeline(query, window: window, plan: plan)
        let gaps = try await self.reader.gaps(from: query.from ?? span.first, to: query.to, last: span.last).map { gap in
            GapReport(instance: gap.instance, from: gap.from, to: gap.to, count: gap.count, reason: gap.reason)
        }
        var report = ReportAssembler.assemble(
            ledger: self.ledgerDescription, query: query, plan: plan, groups: groups, timeline: timeline, latency: latency, gaps: gaps
        )
        report.storeChecks = storeChecks
        report.learnedNoise = try await self.learnedNoise(query)
        Self.split(&report, races: try await self.reader.raceOnlyMismatches(query))
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

    // MARK: Reads

    struct Span {
        var first: Date?
        var last: Date?
    }

    /// One row of the grouped comparisons scan.
    typealias OutcomeGroup = LedgerOutcomeGroup

    /// Compared and regressed requests per timeline bucket over a window. Buckets of whole hours (windows longer
    /// than about a day) add up rollup hours and the raw edges; shorter buckets need the raw rows.
    func timeline(_ query: ReportQuery, window: RollupWindow, plan: TimelinePlan) async throws -> [Int: (compared: Int, regressed: Int)] {
        guard let origin = plan.origin else { return [:] }
        guard let hours = window.hours, plan.bucketSeconds % 3600 == 0 else {
            return try await self.reader.timelineBuckets(query, origin: origin, bucketSeconds: plan.bucketSeconds)
        }
        var out: [Int: (compared: Int, regressed: Int)] = [:]
        for (hour, compared, regressed) in try await self.reader.hourlyCompared(hours, query) {
            let b = Int(((hour.timeIntervalSince1970 - origin.timeIntervalSince1970) / Double(plan.bucketSeconds)).rounded(.down))
            let current = out[b] ?? (0, 0)
            out[b] = (current.compared + compared, current.regressed + regressed)
        }
        for part in window.raw {
            for (b, counts) in try await self.reader.timelineBuckets(part, origin: origin, bucketSeconds: plan.bucketSeconds) {
                let current = out[b] ?? (0, 0)
                out[b] = (current.compared + counts.compared, current.regressed + counts.regressed)
            }
        }
        return out
    }

    /// p50/p90/p99 per route and side over compared requests (match or mismatch): nearest rank over the latency
    /// histograms (rollup hours plus the raw edges bucketed alike), each value within
    /// ``LatencyBuckets/relativeError`` of the exact nearest-rank latency.
    func latency(_ window: RollupWindow) async throws -> [String: LatencyComparison] {
        Self.latency(try await self.reader.latencyHistograms(window))
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
