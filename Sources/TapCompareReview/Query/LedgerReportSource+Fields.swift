import Foundation
import TapCompareCore
import TapCompareLedger

extension LedgerReportSource {
    public func fields(route: String, query: ReportQuery) async throws -> [FieldReport] {
        try await self.reviewing { try await self.routeFields(route: route, query: query) }
    }

    func routeFields(route: String, query: ReportQuery) async throws -> [FieldReport] {
        var q = query
        q.route = route
        let window = try await self.reader.window(q)
        let aggregates: [FieldAggregate]
        let compared: [String: Int]
        if self.reader.allowsConcurrentQueries {
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

    /// Discrepancies grouped by route, field and kind over a window (rollup hours and raw edges, added up), as
    /// fields without their share, examples, suggestion and annotation yet.
    func fieldAggregates(_ window: RollupWindow) async throws -> [FieldAggregate] {
        try await self.reader.fieldGroups(window).map { g in
            FieldAggregate(route: g.route, field: FieldReport(
                field: g.field, kind: g.kind, occurrences: g.occurrences, comparisons: g.comparisons, share: 0,
                firstSeen: g.first, lastSeen: g.last, regressions: g.regressions, noise: g.noise, races: g.races,
                examples: [], suggestion: nil, annotation: nil
            ))
        }
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
            f.examples = try await self.reader.examples(route: item.route, field: f.field, kind: f.kind, query: filters, limit: 2)
            if self.noisePolicy.isCandidate(field: f.field, kind: f.kind, share: f.share, comparisons: f.comparisons) {
                let (sampled, legacy, candidate) = try await self.reader.distinctValues(
                    route: item.route, field: f.field, kind: f.kind, query: filters, sampleSize: self.noisePolicy.sampleSize
                )
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
        guard self.reader.allowsConcurrentQueries, items.count > 1 else {
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
        for g in try await self.reader.outcomeGroups(window) where g.outcome == "match" || g.outcome == "mismatch" {
            out[g.route, default: 0] += g.count
        }
        return out
    }

    public func examples(route: String, field: String, kind: String?, query: ReportQuery, limit: Int) async throws -> [FieldExample] {
        try await self.reviewing { try await self.reader.examples(route: route, field: field, kind: kind, query: query, limit: limit) }
    }
}
