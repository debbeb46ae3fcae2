import ArgumentParser
import Foundation
import Logging
import TapCompareCore
import TapCompareLedger
import TapCompareReview

/// `tapcompare-bench report-generate`: fills a Postgres ledger with N comparisons and about 5 discrepancies per
/// mismatch, in SQL (`generate_series`), for `bench/report.sh`.
///
/// The shape: 6 routes with skewed traffic, 35 % matches, 60 % mismatches, 3 % skips, 1 % errors, 1 % timeouts,
/// spread evenly over `--days` days ending now; each mismatch has five discrepancies (a per-request id, a
/// timestamp that is a race one time in ten, a score, an array element's score, an `etag` header classified
/// noise), so 1,000,000 comparisons give 3,000,000 discrepancies.
struct ReportGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-generate",
        abstract: "Generate comparisons and discrepancies into a Postgres ledger (bench/report.sh)."
    )

    @Option(name: .long, help: "postgres://… ledger URL.") var ledger: String
    @Option(name: .long, help: "Comparisons to generate.") var comparisons: Int = 1_000_000
    @Option(name: .long, help: "Days the comparisons spread over, ending now.") var days: Int = 7

    func run() async throws {
        let url = try LedgerURL(parsing: self.ledger)
        guard case .postgres = url.backend else { throw ValidationError("--ledger must be a postgres:// URL") }
        var logger = Logger(label: "bench.report")
        logger.logLevel = .warning
        let storeLogger = logger
        let n = self.comparisons
        let days = self.days
        let started = ContinuousClock.now
        try await LedgerStores.withStore(url: url, logger: logger) { store in _ = try await store.migrate() }
        try await LedgerReaders.withReader(url: url, logger: logger) { db in
            // Day partitions for the whole span (names made of digits we format; no value is spliced).
            let now = Date()
            let end = now.addingTimeInterval(86_400)
            var day = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 - Double(days) * 86_400)
            while day <= end {
                let stamp = LedgerTime.format(day).prefix(10)
                let next = LedgerTime.format(day.addingTimeInterval(86_400)).prefix(10)
                let name = stamp.replacingOccurrences(of: "-", with: "")
                for table in ["comparisons", "discrepancies"] {
                    _ = try await db.query("CREATE TABLE IF NOT EXISTS tapcompare.\(table)_p\(name) PARTITION OF tapcompare.\(table) FOR VALUES FROM ('\(stamp)') TO ('\(next)')", [])
                }
                day = day.addingTimeInterval(86_400)
            }
            let spanSeconds = Double(days) * 86_400
            // Request ids of this run start with a tag, so discrepancies are made for this run's rows only.
            let tag = "bench-\(UUID().uuidString.prefix(8).lowercased())-"
            print("generating \(n) comparisons over \(days) days…")
            _ = try await db.query("""
                INSERT INTO tapcompare.comparisons (id, recorded_at, instance, request_id, method, route, path,
                  legacy_status, candidate_status, legacy_ms, candidate_ms, outcome, reason, discrepancy_count,
                  regression_count, legacy_sample, candidate_sample, run_id)
                SELECT gen_random_uuid(),
                  to_timestamp($1::float8 - $2::float8 * (1 - i::float8 / $3::float8)),
                  'proxy-' || (i % 3), $4 || i, r.method, r.route, replace(r.route, '{id}', (i % 100000)::text),
                  200,
                  CASE WHEN o.outcome IN ('candidate_error', 'candidate_timeout', 'skipped') THEN NULL ELSE 200 END,
                  r.base * (0.5 + random() * random() * 4),
                  CASE WHEN o.outcome IN ('candidate_error', 'skipped') THEN NULL
                       WHEN o.outcome = 'candidate_timeout' THEN 500
                       ELSE r.base * r.speed * (0.5 + random() * random() * 4) END,
                  o.outcome,
                  CASE o.outcome WHEN 'skipped' THEN (ARRAY['body_too_large', 'max_in_flight', 'unsafe_method'])[1 + i % 3]
                                 WHEN 'candidate_error' THEN 'connection refused'
                                 WHEN 'candidate_timeout' THEN 'timeout after 500ms' END,
                  CASE WHEN o.outcome = 'mismatch' THEN 5 ELSE 0 END,
                  CASE WHEN o.outcome = 'mismatch' THEN (CASE WHEN i % 10 = 0 THEN 3 ELSE 4 END) ELSE 0 END,
                  CASE WHEN o.outcome = 'mismatch' THEN '{"request_id":"l-' || i || '","updated_at":"2026-11-20T10:00:00Z","score":' || (i % 50) || ',"comments":[{"id":1,"score":3}]}' END,
                  CASE WHEN o.outcome = 'mismatch' THEN '{"request_id":"c-' || i || '","updated_at":"2026-11-20T10:00:01Z","score":' || (i % 50 + 1) || ',"comments":[{"id":1,"score":4}]}' END,
                  NULL
                FROM generate_series(1, $3::int) AS i
                CROSS JOIN LATERAL (SELECT CASE WHEN i % 100 < 35 THEN 'match' WHEN i % 100 < 95 THEN 'mismatch'
                                                WHEN i % 100 < 98 THEN 'skipped' WHEN i % 100 = 98 THEN 'candidate_error'
                                                ELSE 'candidate_timeout' END AS outcome) o
                CROSS JOIN LATERAL (SELECT (ARRAY['GET /api/v1/comments/{id}', 'GET /api/v1/comments/{id}', 'GET /api/v1/comments/{id}',
                                                  'GET /api/v1/posts/{id}/comments', 'GET /api/v1/posts/{id}/comments',
                                                  'GET /api/v1/comments/{id}/replies', 'POST /api/v1/comments',
                                                  'PUT /api/v1/comments/{id}', 'GET /api/v1/users/{id}', 'GET /api/v1/comments/{id}'])[1 + (i / 7) % 10] AS route) rr
                CROSS JOIN LATERAL (SELECT rr.route, split_part(rr.route, ' ', 1) AS method,
                                           CASE split_part(rr.route, ' ', 1) WHEN 'GET' THEN 12.0 ELSE 40.0 END AS base,
                                           CASE WHEN rr.route LIKE 'POST%' OR rr.route LIKE 'PUT%' THEN 0.5 ELSE 0.9 END AS speed) r
                """, [.double(now.timeIntervalSince1970), .double(spanSeconds), .int(n), .text(tag)])
            print("comparisons done after \(ContinuousClock.now - started); generating discrepancies…")
            _ = try await db.query("""
                INSERT INTO tapcompare.discrepancies (comparison_id, ordinal, recorded_at, route, path, field, kind,
                  legacy_value, candidate_value, classification)
                SELECT c.id, k, c.recorded_at, c.route,
                  (ARRAY['/request_id', '/updated_at', '/score', '/comments/0/score', ''])[k + 1],
                  (ARRAY['$.request_id', '$.updated_at', '$.score', '$.comments[*].score', 'header:etag'])[k + 1],
                  CASE k WHEN 4 THEN 'header' ELSE 'value_changed' END,
                  CASE k WHEN 0 THEN to_jsonb('l-' || c.request_id) WHEN 1 THEN to_jsonb('2026-11-20T10:00:00Z'::text)
                         WHEN 2 THEN to_jsonb(length(c.request_id)) WHEN 3 THEN '3'::jsonb ELSE to_jsonb('"a' || c.request_id || '"') END,
                  CASE k WHEN 0 THEN to_jsonb('c-' || c.request_id) WHEN 1 THEN to_jsonb('2026-11-20T10:00:01Z'::text)
                         WHEN 2 THEN to_jsonb(length(c.request_id) + 1) WHEN 3 THEN '4'::jsonb ELSE to_jsonb('"b' || c.request_id || '"') END,
                  CASE WHEN k = 4 THEN 'noise' WHEN k = 1 AND c.regression_count = 3 THEN 'race' ELSE 'regression' END
                FROM tapcompare.comparisons c CROSS JOIN generate_series(0, 4) AS k
                WHERE c.outcome = 'mismatch' AND c.request_id LIKE $1
                """, [.text(tag + "%")])
            _ = try await db.query("ANALYZE tapcompare.comparisons", [])
            _ = try await db.query("ANALYZE tapcompare.discrepancies", [])
            // The rows bypassed the writer: compute the hourly rollups from them, as migration 2 does.
            print("rows done after \(ContinuousClock.now - started); computing the hourly rollups…")
            try await LedgerStores.withStore(url: url, logger: storeLogger) { store in
                guard let postgres = store as? PostgresLedgerStore else { return }
                try await postgres.rebuildRollups()
            }
            for table in ["rollup_outcomes", "rollup_latency", "rollup_fields"] {
                _ = try await db.query("ANALYZE tapcompare.\(table)", [])
            }
            let counts = try await db.query("SELECT (SELECT count(*) FROM tapcompare.comparisons), (SELECT count(*) FROM tapcompare.discrepancies)", [])
            print("ledger holds \(counts.first?.int(0) ?? 0) comparisons and \(counts.first?.int(1) ?? 0) discrepancies (\(ContinuousClock.now - started))")
        }
    }
}

/// `tapcompare-bench report-demo`: a small SQLite ledger with known contents for `scripts/ui-browser-test.sh`,
/// written through the ledger's own store.
struct ReportDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-demo",
        abstract: "Write a small ledger with known contents (for the browser test of the review UI)."
    )

    @Option(name: .long, help: "sqlite:PATH (created).") var ledger: String
    @Flag(name: .long, help: "Write one gRPC call instead (DemoGRPCLedger), and print its comparison id.") var grpc = false

    func run() async throws {
        let url = try LedgerURL(parsing: self.ledger)
        var logger = Logger(label: "bench.report-demo")
        logger.logLevel = .warning
        if self.grpc {
            let call = try DemoGRPCLedger.comparison(at: Date().addingTimeInterval(-3600))
            try await LedgerStores.withStore(url: url, logger: logger) { store in
                _ = try await store.migrate()
                try await store.insert([call])
            }
            print("wrote gRPC comparison \(call.id.uuidString.lowercased()) to \(url)")
            return
        }
        let demo = DemoLedger(end: Date())
        try await LedgerStores.withStore(url: url, logger: logger) { store in
            _ = try await store.migrate()
            try await store.insert(demo.comparisons)
            for gap in demo.gaps { try await store.insertGap(gap) }
        }
        print("wrote \(demo.comparisons.count) comparisons to \(url)")
    }
}
