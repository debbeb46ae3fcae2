import Foundation
import Logging
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// `tapcompare verdict` run as a pipeline would: its exit statuses (0 ready, 1 not ready, 3 not enough data, 2 bad
/// input) and the messages naming the flag or key to fix.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct VerdictCommandTests {
    /// `GET /a`: 4 compared, 1 regression (on `$.name`); `GET /b`: 5 compared, clean; candidate as fast as legacy.
    static func seed(_ path: String) async throws {
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        var rng = SystemRandomNumberGenerator()
        var rows: [LedgerComparison] = []
        func add(_ route: String, _ regression: Bool) {
            let at = t0.addingTimeInterval(Double(rows.count) * 10)
            let d = regression ? [LedgerDiscrepancy(path: "/name", field: "$.name", kind: "value_changed", legacyValue: "\"a\"", candidateValue: "\"a \"", classification: "regression")] : []
            rows.append(LedgerComparison(
                id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at, instance: "t",
                requestID: "r\(rows.count)", method: "GET", route: route, path: "/x", legacyStatus: 200, candidateStatus: 200,
                legacyMilliseconds: 10, candidateMilliseconds: 10, outcome: regression ? "mismatch" : "match", reason: nil,
                discrepancyCount: d.count, regressionCount: d.count, requestSample: nil, legacySample: nil, candidateSample: nil,
                samplesTruncated: false, runID: nil, linkedComparisonID: nil, store: nil, discrepancies: d
            ))
        }
        for i in 0..<4 { add("GET /a", i == 2) }
        for _ in 0..<5 { add("GET /b", false) }
        let seeded = rows
        try await LedgerStores.withStore(url: LedgerURL(backend: .sqlite(path: path)), logger: Logger(label: "verdict-test")) { store in
            _ = try await store.migrate()
            try await store.insert(seeded)
        }
    }

    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func exitStatusesForPipelines() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let ledger = "sqlite:" + dir.appendingPathComponent("l.sqlite").path
        try await Self.seed(dir.appendingPathComponent("l.sqlite").path)
        // A loose target: GET /b (0 of 5, bound 35 %) is ready; GET /a (1 of 4: 25 %, bound 64 %) lacks data.
        let loose = try self.write("cutover:\n  max_regression_rate: 0.5\n  min_comparisons: 2\n", "loose.yml", in: dir)

        let all = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger], in: dir)
        #expect(all.status == 1, "\(all.stderr)")
        #expect(all.stdout.contains("✗ $.name value_changed: 1 regressions in 1 comparisons"))
        let ready = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", loose, "--route", "GET /b"], in: dir)
        #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
        #expect(ready.stdout.contains("Overall    ready (exit 0)"))
        let thin = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", loose, "--route", "GET /a", "--route", "GET /b", "--format", "json"], in: dir)
        #expect(thin.status == 3, "\(thin.stdout)\(thin.stderr)")
        #expect(thin.stdout.contains(#""status" : "not_enough_data""#))
        let unknown = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--route", "GET /nope", "--format", "markdown"], in: dir)
        #expect(unknown.status == 3)
        #expect(unknown.stdout.contains("| **not enough data** | `GET /nope` | 0 |"))
        // Nothing in the window: no route is ready.
        let recent = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--since", "1h"], in: dir)
        #expect(recent.status == 3)
    }

    /// `cutover.routes`: a route asking more comparisons than the loose default lacks data where the default would
    /// make it ready, and every format names the target each route was judged against.
    @Test func aRoutesOwnTargetDecidesItsVerdictInEveryFormat() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let ledger = "sqlite:" + dir.appendingPathComponent("l.sqlite").path
        try await Self.seed(dir.appendingPathComponent("l.sqlite").path)
        let config = try self.write("""
            routes:
              - route: GET /a
              - route: GET /b
            cutover:
              max_regression_rate: 0.5
              min_comparisons: 2
              routes:
                GET /b: { min_comparisons: 100 }

            """, "own.yml", in: dir)
        let table = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", config, "--route", "GET /b"], in: dir)
        #expect(table.status == 3, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("≤ 50.00% @95%, ≥ 100, p99 × 1.2 (own)"))
        #expect(table.stdout.contains("5 of the 100 comparisons required"))
        #expect(table.stdout.contains("1 route has its own target (cutover.routes)"))
        let json = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", config, "--format", "json"], in: dir)
        #expect(json.status == 3)
        #expect(json.stdout.contains(#""custom_target" : "GET /b""#), "\(json.stdout)")
        #expect(json.stdout.contains(#""min_comparisons" : 100"#))
        let markdown = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", config, "--format", "markdown"], in: dir)
        #expect(markdown.stdout.contains("| ≤ 50.00% @95%, ≥ 100, p99 × 1.2 (own) |"))
        #expect(markdown.stdout.contains("| ≤ 50.00% @95%, ≥ 2, p99 × 1.2 |"))

        let unmatched = try self.write("cutover:\n  routes:\n    GET /c: { min_comparisons: 100 }\n", "unmatched.yml", in: dir)
        let bad = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", unmatched], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"unmatched.yml:3:5: cutover.routes["GET /c"]: 'GET /c' matches no route under routes:"#), "\(bad.stderr)")
    }

    @Test func badInputExitsTwoNamingTheFlagAndTheFix() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let ledger = "sqlite:" + dir.appendingPathComponent("l.sqlite").path
        let since = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--since", "soon"], in: dir)
        #expect(since.status == 2)
        #expect(since.stderr.contains("--since 'soon' is not a duration; write e.g. 1h, 24h, 7d"))
        let format = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--format", "html"], in: dir)
        #expect(format.status == 2)
        #expect(format.stderr.contains("--format 'html' is not a format; use table, json or markdown"))
        let typo = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--rout", "GET /a"], in: dir)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("--rout"))
        let url = try await CommandLineTests.tapcompare(["verdict", "--ledger", "mysql://x"], in: dir)
        #expect(url.status == 2)
        #expect(url.stderr.contains("--ledger"))
        let config = try self.write("cutover:\n  max_regression_rate: 1.5\n  confidnce: 0.9\n", "bad.yml", in: dir)
        let bad = try await CommandLineTests.tapcompare(["verdict", "--ledger", ledger, "--config", config], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.yml:2:24: cutover.max_regression_rate"))
        #expect(bad.stderr.contains("cutover.confidnce"))
    }
}
