import Foundation
import Logging
import TapCompareCore
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger
@testable import TapCompareReview

/// Reports read from the hourly rollups (whole hours) plus raw rows (partial edge hours) equal reports read from
/// the raw rows alone: exactly for every count, within the bucket error for latency percentiles.
@Suite(.timeLimit(.minutes(TestTiming.minutes(2)))) struct RollupWindowTests {
    static let start = LedgerTime.parse("2026-11-19T08:00:00.000Z")!
    static let routes = ["GET /api/v1/comments/{id}", "GET /api/v1/posts/{id}/comments", "POST /api/v1/comments"]

    // MARK: The split

    @Test func windowSplitsIntoWholeHoursAndRawEdges() {
        let h = Self.start
        func q(_ from: TimeInterval?, _ to: TimeInterval?) -> ReportQuery {
            ReportQuery(from: from.map { h.addingTimeInterval($0) }, to: to.map { h.addingTimeInterval($0) })
        }
        // Partial on both sides.
        var w = RollupWindow(q(600, 3 * 3600 + 60), rollups: true)
        #expect(w.hours == RollupWindow.Hours(from: h.addingTimeInterval(3600), to: h.addingTimeInterval(3 * 3600)))
        #expect(w.raw.map(\.from) == [h.addingTimeInterval(600), h.addingTimeInterval(3 * 3600)])
        #expect(w.raw.map(\.to) == [h.addingTimeInterval(3600), h.addingTimeInterval(3 * 3600 + 60)])
        // Aligned: no raw part.
        w = RollupWindow(q(3600, 7200), rollups: true)
        #expect(w.hours == RollupWindow.Hours(from: h.addingTimeInterval(3600), to: h.addingTimeInterval(7200)))
        #expect(w.raw.isEmpty)
        // Open window (since=all): every hour from the rollups.
        w = RollupWindow(q(nil, nil), rollups: true)
        #expect(w.hours == RollupWindow.Hours(from: nil, to: nil))
        #expect(w.raw.isEmpty)
        // since=24h: the partial first hour raw, the rest (open end) rollups.
        w = RollupWindow(q(1234, nil), rollups: true)
        #expect(w.hours == RollupWindow.Hours(from: h.addingTimeInterval(3600), to: nil))
        #expect(w.raw.count == 1 && w.raw[0].to == h.addingTimeInterval(3600))
        // Inside one hour, or across one boundary without a whole hour: all raw.
        w = RollupWindow(q(60, 120), rollups: true)
        #expect(w.hours == nil && w.raw == [q(60, 120)])
        w = RollupWindow(q(1800, 3600 + 1800), rollups: true)
        #expect(w.hours == nil && w.raw == [q(1800, 3600 + 1800)])
        // A ledger without rollups: all raw.
        w = RollupWindow(q(nil, nil), rollups: false)
        #expect(w.hours == nil && w.raw == [q(nil, nil)])
    }

    // MARK: Against raw rows

    /// Four hours of comparisons every 50 s with every outcome, two runs, a wildcard field differing twice in one
    /// comparison and mixed classifications.
    static func rows() -> [LedgerComparison] {
        var rng = SystemRandomNumberGenerator()
        let outcomes = ["match", "mismatch", "mismatch", "candidate_error", "match", "skipped", "mismatch", "candidate_timeout", "mismatch"]
        return (0..<288).map { i in
            let at = Self.start.addingTimeInterval(7 + Double(i) * 50)
            let outcome = outcomes[i % outcomes.count]
            let route = Self.routes[(i / 2) % Self.routes.count]
            var d: [LedgerDiscrepancy] = []
            if outcome == "mismatch" {
                d.append(LedgerDiscrepancy(path: "/score", field: "$.score", kind: "value_changed", legacyValue: "\(i)", candidateValue: "\(i + 1)", classification: i % 4 == 0 ? "noise" : "regression"))
                if i % 3 != 0 {
                    d.append(LedgerDiscrepancy(path: "/r/0/id", field: "$.r[*].id", kind: "value_changed", legacyValue: "1", candidateValue: "2", classification: "race"))
                    d.append(LedgerDiscrepancy(path: "/r/1/id", field: "$.r[*].id", kind: "value_changed", legacyValue: "3", candidateValue: "4", classification: i % 2 == 0 ? "regression" : "race"))
                }
            }
            let compared = outcome == "match" || outcome == "mismatch"
            return LedgerComparison(
                id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at, instance: i % 3 == 0 ? "proxy-b" : "proxy-a",
                requestID: "r-\(i)", method: String(route.prefix { $0 != " " }), route: route, path: "/p", legacyStatus: i % 13 == 0 ? 404 : 200,
                candidateStatus: compared ? 200 : nil, legacyMilliseconds: 4 + Double((i * 7) % 61), candidateMilliseconds: compared ? 2 + Double((i * 11) % 97) * 1.3 : nil,
                outcome: outcome, reason: outcome == "skipped" ? "body_too_large" : outcome == "candidate_error" ? "connection refused" : outcome == "candidate_timeout" ? "timeout" : nil,
                discrepancyCount: d.count, regressionCount: d.filter { $0.classification == "regression" }.count, requestSample: nil,
                legacySample: nil, candidateSample: nil, samplesTruncated: false, runID: i % 5 == 0 ? "run-a" : nil, linkedComparisonID: nil, discrepancies: d
            )
        }
    }

    static let queries: [ReportQuery] = [
        ReportQuery(),
        ReportQuery(from: start.addingTimeInterval(17 * 60), to: start.addingTimeInterval(2 * 3600 + 43 * 60)),
        ReportQuery(from: start.addingTimeInterval(3600), to: start.addingTimeInterval(3 * 3600)),
        ReportQuery(from: start.addingTimeInterval(3600 + 1)),
        ReportQuery(to: start.addingTimeInterval(2 * 3600 + 5)),
        ReportQuery(from: start.addingTimeInterval(20 * 60), to: start.addingTimeInterval(3 * 3600 + 20 * 60), route: routes[1]),
        ReportQuery(from: start.addingTimeInterval(20 * 60), to: start.addingTimeInterval(3 * 3600 + 20 * 60), runID: "run-a"),
        ReportQuery(from: start.addingTimeInterval(20 * 60), to: start.addingTimeInterval(3 * 3600 + 20 * 60), classification: .race),
    ]

    /// Counts the report must show for `query`, computed in Swift from the rows.
    static func checkAgainstRows(_ report: Report, _ rows: [LedgerComparison], _ query: ReportQuery) throws {
        let inWindow = rows.filter { c in
            (query.from.map { c.recordedAt >= $0 } ?? true) && (query.to.map { c.recordedAt < $0 } ?? true)
                && (query.route.map { c.route == $0 } ?? true) && (query.runID.map { c.runID == $0 } ?? true)
        }
        let compared = inWindow.filter { $0.outcome == "match" || $0.outcome == "mismatch" }
        #expect(report.overview.comparisons == inWindow.count)
        #expect(report.overview.compared == compared.count)
        #expect(report.overview.regressed == inWindow.filter { $0.outcome == "mismatch" && $0.regressionCount > 0 }.count)
        #expect(report.overview.skipped == inWindow.filter { $0.outcome == "skipped" }.count)
        #expect(report.overview.firstSeen == inWindow.map(\.recordedAt).min())
        #expect(report.overview.lastSeen == inWindow.map(\.recordedAt).max())
        #expect(report.timeline.buckets.reduce(0) { $0 + $1.compared } == compared.count)
        for route in report.routes {
            let routeRows = compared.filter { $0.route == route.route }
            for (side, values) in [("legacy", routeRows.compactMap(\.legacyMilliseconds)), ("candidate", routeRows.compactMap(\.candidateMilliseconds))] {
                let p = try #require(side == "legacy" ? route.latency.legacy : route.latency.candidate)
                let sorted = values.sorted()
                for (estimate, percent) in [(p.p50, 50), (p.p90, 90), (p.p99, 99)] {
                    let exact = sorted[(sorted.count * percent + 99) / 100 - 1]
                    #expect(abs(estimate - exact) / exact <= LatencyBuckets.relativeError * (1 + 1e-9), "\(route.route) \(side) p\(percent)")
                }
            }
            for field in route.fields {
                let matching = routeRows.flatMap { c in
                    c.discrepancies.filter { d in
                        d.field == field.field && d.kind == field.kind && (query.classification.map { d.classification == $0.rawValue } ?? true)
                    }.map { _ in c.id }
                }
                #expect(field.occurrences == matching.count, "\(route.route) \(field.field) occurrences")
                #expect(field.comparisons == Set(matching).count, "\(route.route) \(field.field) comparisons")
            }
        }
    }

    /// Writes the rows into a ledger with rollups and into one left at schema 1 (raw rows only), then compares
    /// every query's report and API answers on both.
    static func compare(rollupURL: LedgerURL, rawURL: LedgerURL) async throws {
        let rows = Self.rows()
        let logger = Logger(label: "rollup-window-test")
        try await LedgerStores.withStore(url: rollupURL, logger: logger) { store in
            _ = try await store.migrate()
            try await store.insert(rows)
        }
        try await LedgerStores.withStore(url: rawURL, logger: logger) { store in
            if let pg = store as? PostgresLedgerStore {
                _ = try await pg.migrate(upTo: 1)
                try await pg.insert(rows, rollups: false)
            } else {
                let sqlite = try #require(store as? SQLiteLedgerStore)
                _ = try await sqlite.migrate(upTo: 1)
                try await sqlite.insert(rows, rollups: false)
            }
        }
        try await LedgerReaders.withReader(url: rollupURL, logger: logger) { rollupDB in
            try await LedgerReaders.withReader(url: rawURL, logger: logger) { rawDB in
                // 60 buckets: 5-minute buckets, read raw; 4 buckets: 3-hour buckets, summed from rollup hours.
                for maximumBuckets in [60, 4] {
                let withRollups = LedgerReportSource(reader: rollupDB, ledgerDescription: "ledger", maximumBuckets: maximumBuckets)
                let raw = LedgerReportSource(reader: rawDB, ledgerDescription: "ledger", maximumBuckets: maximumBuckets)
                #expect(try await rollupDB.rollups.check(rollupDB.database))
                #expect(try await !rawDB.rollups.check(rawDB.database))
                for query in Self.queries {
                    var a = try await withRollups.report(query)
                    var b = try await raw.report(query)
                    b.generatedAt = a.generatedAt
                    a.ledger = b.ledger
                    #expect(a == b, "report over \(query)")
                    try Self.checkAgainstRows(a, rows, query)
                    for route in Self.routes {
                        #expect(try await withRollups.fields(route: route, query: query) == (try await raw.fields(route: route, query: query)), "fields of \(route) over \(query)")
                    }
                    var s1 = try await withRollups.summary(query, includeLatency: true), s2 = try await raw.summary(query, includeLatency: true)
                    s2.generatedAt = s1.generatedAt
                    #expect(s1 == s2, "summary over \(query)")
                }
                }
            }
        }
    }

    @Test func rollupsAnswerLikeRawRowsOnSQLite() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-rollup-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.compare(
            rollupURL: LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("rollups.sqlite").path)),
            rawURL: LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("raw.sqlite").path))
        )
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func rollupsAnswerLikeRawRowsOnPostgres() async throws {
        try await Self.compare(rollupURL: try await Self.freshPostgres(), rawURL: try await Self.freshPostgres())
    }

    /// A new database on the test server: the rollup comparison needs ledgers of its own (both whole-ledger
    /// windows and a schema-1 ledger).
    static func freshPostgres() async throws -> LedgerURL {
        let base = try #require(ReviewFixture.postgresURL)
        guard case .postgres(var postgres) = base.backend else { throw CancellationError() }
        let name = "tc_rw_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try await LedgerReaders.withReader(url: base, logger: Logger(label: "rollup-window-test")) { db in
            _ = try await db.query("CREATE DATABASE \(name)", [])
        }
        postgres.database = String(name)
        return LedgerURL(backend: .postgres(postgres))
    }
}
