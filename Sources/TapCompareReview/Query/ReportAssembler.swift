import Foundation
import TapCompareLedger

/// Turns the grouped rows of the comparisons scan into the report's figures. Pure: no I/O, so every count and
/// ordering rule is decided here once for both backends.
enum ReportAssembler {
    static func assemble(
        ledger: String,
        query: ReportQuery,
        plan: TimelinePlan,
        groups: [LedgerReportSource.OutcomeGroup],
        timeline bucketCounts: [Int: (compared: Int, regressed: Int)],
        latency: [String: LatencyComparison],
        gaps: [GapReport],
        now: Date = Date()
    ) -> Report {
        var routes: [String: RouteReport] = [:]
        var legacyStatus: [String: [Int?: Int]] = [:]
        var candidateStatus: [String: [Int?: Int]] = [:]
        var skips: [String: Int] = [:]
        var errors: [String: Int] = [:]
        var instances: [String: Int] = [:]
        var buckets = Array(repeating: (compared: 0, regressed: 0), count: plan.bucketCount)
        for (b, counts) in bucketCounts where b >= 0 && b < buckets.count { buckets[b] = counts }
        var overview = Overview(
            firstSeen: nil, lastSeen: nil, comparisons: 0, compared: 0, matches: 0, mismatches: 0, regressed: 0,
            noiseOrRaceOnly: 0, mismatchRate: 0, candidateErrors: 0, candidateTimeouts: 0, skipped: 0,
            skipsByReason: [], errorsByReason: [], instances: [], missingInGaps: gaps.reduce(0) { $0 + $1.count }
        )

        for g in groups {
            var route = routes[g.route] ?? RouteReport(
                route: g.route, comparisons: 0, compared: 0, matches: 0, mismatches: 0, regressed: 0, noiseOrRaceOnly: 0,
                mismatchRate: 0, candidateErrors: 0, candidateTimeouts: 0, skipped: 0, firstSeen: nil, lastSeen: nil,
                legacyStatus: [], candidateStatus: [], latency: latency[g.route] ?? LatencyComparison(), fields: []
            )
            route.comparisons += g.count
            overview.comparisons += g.count
            route.firstSeen = earliest(route.firstSeen, g.first)
            route.lastSeen = latest(route.lastSeen, g.last)
            overview.firstSeen = earliest(overview.firstSeen, g.first)
            overview.lastSeen = latest(overview.lastSeen, g.last)
            instances[g.instance, default: 0] += g.count
            switch g.outcome {
            case "match":
                route.matches += g.count
            case "mismatch":
                route.mismatches += g.count
                route.regressed += g.regressed
            case "candidate_error":
                route.candidateErrors += g.count
                errors["error: " + (g.reason ?? "unknown"), default: 0] += g.count
            case "candidate_timeout":
                route.candidateTimeouts += g.count
                errors["timeout: " + (g.reason ?? "unknown"), default: 0] += g.count
            default:
                route.skipped += g.count
                skips[g.reason ?? "unknown", default: 0] += g.count
            }
            if g.outcome != "skipped" {
                legacyStatus[g.route, default: [:]][g.legacyStatus, default: 0] += g.count
                candidateStatus[g.route, default: [:]][g.candidateStatus, default: 0] += g.count
            }
            routes[g.route] = route
        }

        var list: [RouteReport] = []
        for var route in routes.values {
            route.compared = route.matches + route.mismatches
            route.noiseOrRaceOnly = route.mismatches - route.regressed
            route.mismatchRate = route.compared == 0 ? 0 : Double(route.regressed) / Double(route.compared)
            route.legacyStatus = sortedStatus(legacyStatus[route.route] ?? [:])
            route.candidateStatus = sortedStatus(candidateStatus[route.route] ?? [:])
            overview.matches += route.matches
            overview.mismatches += route.mismatches
            overview.regressed += route.regressed
            overview.candidateErrors += route.candidateErrors
            overview.candidateTimeouts += route.candidateTimeouts
            overview.skipped += route.skipped
            list.append(route)
        }
        list.sort(by: routeImpactOrder)
        overview.compared = overview.matches + overview.mismatches
        overview.noiseOrRaceOnly = overview.mismatches - overview.regressed
        overview.mismatchRate = overview.compared == 0 ? 0 : Double(overview.regressed) / Double(overview.compared)
        overview.skipsByReason = sortedReasons(skips)
        overview.errorsByReason = sortedReasons(errors)
        overview.instances = instances.map { InstanceCount(instance: $0.key, comparisons: $0.value) }
            .sorted { ($0.comparisons, $1.instance) > ($1.comparisons, $0.instance) }

        let timeline = Timeline(
            bucketSeconds: plan.bucketSeconds,
            buckets: buckets.enumerated().map { i, b in
                TimelineBucket(start: plan.start(ofBucket: i), compared: b.compared, regressed: b.regressed,
                               mismatchRate: b.compared == 0 ? 0 : Double(b.regressed) / Double(b.compared))
            }
        )
        return Report(generatedAt: now, ledger: ledger, filter: ReportFilter(query), overview: overview, timeline: timeline, routes: list, gaps: gaps)
    }

    /// Routes by impact: comparisons with regressions, then mismatch rate, then errors and timeouts, then traffic.
    static func routeImpactOrder(_ a: RouteReport, _ b: RouteReport) -> Bool {
        if a.regressed != b.regressed { return a.regressed > b.regressed }
        if a.mismatchRate != b.mismatchRate { return a.mismatchRate > b.mismatchRate }
        let fa = a.candidateErrors + a.candidateTimeouts, fb = b.candidateErrors + b.candidateTimeouts
        if fa != fb { return fa > fb }
        if a.compared != b.compared { return a.compared > b.compared }
        return a.route < b.route
    }

    /// Fields by impact: regressions first (noise and races never outrank them), then how many comparisons differ.
    static func fieldImpactOrder(_ a: FieldReport, _ b: FieldReport) -> Bool {
        if a.regressions != b.regressions { return a.regressions > b.regressions }
        if a.races != b.races { return a.races > b.races }
        if a.comparisons != b.comparisons { return a.comparisons > b.comparisons }
        if a.field != b.field { return a.field < b.field }
        return a.kind < b.kind
    }

    static func sortedStatus(_ counts: [Int?: Int]) -> [StatusCount] {
        counts.map { StatusCount(status: $0.key, count: $0.value) }.sorted {
            if $0.count != $1.count { return $0.count > $1.count }
            return ($0.status ?? 0) < ($1.status ?? 0)
        }
    }

    static func sortedReasons(_ counts: [String: Int]) -> [ReasonCount] {
        counts.map { ReasonCount(reason: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.reason < $1.reason
        }
    }

    static func earliest(_ a: Date?, _ b: Date?) -> Date? { LedgerReader.earliest(a, b) }

    static func latest(_ a: Date?, _ b: Date?) -> Date? { LedgerReader.latest(a, b) }
}
