import Foundation
import TapCompareLedger
import TapCompareReview
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// SIGHUP to a running `tapcompare serve` whose rules were broken on disk: the old rules stay in force, the
    /// failure is counted and logged, and a later good reload takes effect.
    @Suite("Rule reload") struct RuleReload {
        static let ignoringClock = """
            rules:
              - route: GET /fault/reload
                ignore: [$.served_at]
            """

        @Test("broken rules on SIGHUP are refused and the previous rules keep deciding comparisons")
        func brokenRulesKeepTheOldOnes() async throws {
            let directory = try ServeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // The two sides differ only in a clock field, which the rules ignore.
            let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"id":1,"served_at":1}"#)) }
            let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"id":1,"served_at":2}"#)) }
            let rulesFile = directory + "/rules/fault.yml"
            try FileManager.default.createDirectory(atPath: directory + "/rules", withIntermediateDirectories: true)
            try Self.ignoringClock.write(toFile: rulesFile, atomically: true, encoding: .utf8)
            let serve = try await ServeProcess.start(yaml: """
                legacy: \(legacy.url)
                candidate: \(candidate.url)
                sample_rate: 1
                rules: \(directory)/rules
                race:
                  recheck: false
                ledger:
                  url: sqlite:\(directory)/ledger.sqlite
                  spool_dir: \(directory)/spool
                  flush_interval: 20ms

                """, directory: directory)
            defer { serve.terminate() }

            var sent = 0.0
            func send(_ id: String) async throws {
                let bytes = try await RawHTTPClient.exchange(
                    "GET /fault/reload HTTP/1.1\r\nHost: t\r\nX-Request-Id: \(id)\r\nConnection: close\r\n\r\n", port: serve.proxyPort
                )
                #expect(RawResponse(parsing: bytes)?.body == Array(#"{"id":1,"served_at":1}"#.utf8))
                // The comparison follows the client's answer: it must be decided under the rules in force now, before
                // the next reload swaps them.
                sent += 1
                let expected = sent
                try await eventually("'\(id)' is compared") {
                    try await serve.metrics().value("tapcompare_comparisons_total", ["route": "GET /fault/reload"]) >= expected
                }
            }
            func reload(_ text: String, expect result: String, count: Double) async throws {
                try text.write(toFile: rulesFile, atomically: true, encoding: .utf8)
                serve.signal(SIGHUP)
                try await eventually("the reload is counted as \(result)") {
                    try await serve.metrics().value("tapcompare_rules_reloads_total", ["result": result]) >= count
                }
                #expect(try await serve.metrics().value("tapcompare_rules_reloads_total", ["result": result]) == count)
            }

            try await send("before")
            // An unknown key: the whole set is refused.
            try await reload("rules:\n  - route: GET /fault/reload\n    ignor: [$.id]\n", expect: "failed", count: 1)
            try await send("after-broken")
            #expect(serve.isRunning)
            // A good set without the ignore rule: the clock difference now counts.
            try await reload("rules: []\n", expect: "ok", count: 1)
            try await send("after-good")
            #expect(try await serve.stop() == 0)
            #expect(serve.log.contains("rules NOT reloaded; the previous rules stay in force"))
            // A fresh ledger: the learned-noise publisher waited for the writer's migrations instead of warning.
            #expect(!serve.log.contains("learned-noise model not published"), "\(serve.log)")

            let url = try LedgerURL(parsing: "sqlite:\(directory)/ledger.sqlite")
            let outcomes = try await LedgerReaders.withReader(url: url, logger: ServeHarness.logger) { database in
                try await database.query("SELECT request_id, outcome FROM comparisons", []).reduce(into: [String: String]()) {
                    $0[$1.string(0) ?? ""] = $1.string(1)
                }
            }
            #expect(outcomes == ["before": "match", "after-broken": "match", "after-good": "mismatch"])
            try await legacy.shutdown()
            try await candidate.shutdown()
        }
    }
}
