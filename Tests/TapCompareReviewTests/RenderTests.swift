import Foundation
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// The formats: JSON keys CI depends on, the terminal table, Markdown, and an HTML file that references nothing
/// outside itself.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct RenderTests {
    @Test func jsonIsStableAndDocumented() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            let text = try await ReportFormat.json.render(report, source: source, color: false)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            // The keys docs/report-json.md promises at the top level and in the overview.
            #expect(Set(object.keys) == ["schema_version", "generated_at", "ledger", "filter", "overview", "timeline", "routes", "gaps", "store_checks", "problems", "problems_truncated", "signature_sets", "signature_sets_omitted"])
            #expect(object["schema_version"] as? Int == 1)
            let overview = try #require(object["overview"] as? [String: Any])
            for key in ["comparisons", "compared", "matches", "mismatches", "regressed", "noise_or_race_only", "mismatch_rate",
                        "candidate_errors", "candidate_timeouts", "skipped", "skips_by_reason", "errors_by_reason", "instances",
                        "missing_in_gaps", "first_seen", "last_seen"] {
                #expect(overview[key] != nil, "overview.\(key) is missing")
            }
            #expect(overview["mismatch_rate"] as? Double == 0.5)
            #expect(overview["first_seen"] as? String == "2026-11-20T10:00:00.000Z")
            let routes = try #require(object["routes"] as? [[String: Any]])
            #expect(routes.first?["route"] as? String == ReviewFixture.postsRoute)
            let latency = try #require(routes[1]["latency"] as? [String: Any])
            #expect(ReportModelTests.near((latency["legacy"] as? [String: Any])?["p99"] as? Double, 100))
            let field = try #require((routes[0]["fields"] as? [[String: Any]])?.first)
            for key in ["field", "kind", "occurrences", "comparisons", "share", "regressions", "noise", "races", "examples", "suggestion", "first_seen", "last_seen"] {
                #expect(field[key] != nil, "field.\(key) is missing")
            }
            // And it decodes back into the same report.
            let decoded = try ReportJSON.decoder().decode(Report.self, from: Data(text.utf8))
            #expect(decoded.routes == report.routes)
            #expect(decoded.overview == report.overview)
        }
    }

    @Test func colourOnlyOnATerminalAndNeverWithNoColor() {
        #expect(ColorPolicy.useColor(isTerminal: true, environment: [:]))
        #expect(!ColorPolicy.useColor(isTerminal: false, environment: [:]))
        #expect(!ColorPolicy.useColor(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(ColorPolicy.useColor(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!ColorPolicy.useColor(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func tableAlignsColumnsAndColoursOnlyWhenAsked() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            let plain = TableRenderer(color: false).render(report)
            #expect(!plain.contains("\u{1B}["))
            #expect(plain.contains("Mismatch rate 50.00%  9 of 18 compared requests regressed; 1 more differed by noise or races only"))
            // Every row of the routes table puts the COMPARED column's right edge at the same offset.
            let lines = plain.split(separator: "\n").map(String.init)
            let header = try #require(lines.firstIndex { $0.hasPrefix("ROUTE ") })
            let edge = try #require(lines[header].range(of: "COMPARED")).upperBound.utf16Offset(in: lines[header])
            for line in lines[(header + 1)...(header + 3)] {
                let prefix = String(line.prefix(edge))
                #expect(prefix.last?.isNumber == true, "misaligned: \(line)")
            }
            #expect(plain.contains("suggestion $.request_id"))
            #expect(plain.contains("      - \"$.request_id\""))
            let coloured = TableRenderer(color: true).render(report)
            #expect(coloured.contains("\u{1B}[31m50.00%\u{1B}[0m"))
        }
    }

    @Test func markdownHasTheHeadlineAndTables() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let text = MarkdownRenderer().render(try await source.report(ReportQuery(runID: fixture.runID)))
            #expect(text.contains("**Mismatch rate 50.00%**"))
            #expect(text.contains("| `GET /api/v1/comments/{id}` | 10 | **30.00%** | 3 |"))
            #expect(text.contains("```yaml\nrules:\n  - route: \"GET /api/v1/posts/{id}/comments\""))
        }
    }

    @Test func htmlIsSelfContainedAndHighlightsDifferingPaths() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            let html = try await ReportFormat.html.render(report, source: source, color: false)
            // Nothing is fetched: no src/href to another origin, no @import, no url(), no script at all.
            let lower = html.lowercased()
            for needle in ["src=\"http", "href=\"http", "src='http", "href='http", "@import", "url(", "<script", "<link", "//cdn", "fonts.googleapis"] {
                #expect(!lower.contains(needle), "external reference: \(needle)")
            }
            #expect(html.contains("<svg class=\"chart\" role=\"img\" aria-label=\"Mismatch rate over time\""))
            #expect(html.contains("aria-label=\"Latency percentiles per route, legacy against candidate\""))
            #expect(html.contains("id=\"mismatch-rate\">50.00%</div>"))
            // Drill-down: the score example opens onto both bodies with /score highlighted on each side.
            #expect(html.contains("<mark data-path=\"/score\"><span class=\"jn\">1.5</span></mark>"))
            #expect(html.contains("<mark data-path=\"/score\"><span class=\"jn\">1.28</span></mark>"))
            #expect(html.contains("<strong>Probably noise:</strong> <code>$.request_id</code>"))
            #expect(html.contains("7 comparisons are missing"))
            // A strict policy: nothing but its own inline stylesheet, allowed by hash, never 'unsafe-inline'.
            let policy = HTMLComponents.contentSecurityPolicy
            #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"\(policy)\">"))
            #expect(policy.hasPrefix("default-src 'none'; style-src 'sha256-"))
            #expect(!policy.contains("unsafe"))
            #expect(!lower.contains(" style=\""), "inline style attributes would be blocked by the policy")
            #expect(html.components(separatedBy: "<style>").count == 2)
            #expect(html.contains("<style>\(Stylesheet.css)</style>"))
        }
    }

    /// A gap of count 0 is one whose comparisons could not be counted (a damaged spool frame, `spool_corrupt`):
    /// the formats say so, never "0 comparisons".
    @Test func aGapOfUnknownSizeSaysSo() {
        let gap = GapReport(instance: "proxy-a", from: Date(timeIntervalSince1970: 1_795_305_600), to: Date(timeIntervalSince1970: 1_795_305_660), count: 0, reason: "spool_corrupt")
        #expect(HTMLComponents.gaps([gap]).contains("<strong>An unknown number of comparisons are missing</strong> from proxy-a (spool_corrupt)"))
        #expect(Formatting.missingComparisons(0) == "an unknown number of comparisons")
        #expect(Formatting.missingComparisons(1_234) == "1,234 comparisons")
    }

    @Test func bodyViewKeepsKeyOrderAndEscapes() {
        let html = JSONBodyView.render(#"{"z":1,"a":{"x/y":"<b>","n":[1,2]}}"#, highlight: ["/a/x~1y", "/a/n/1"])
        #expect(html.range(of: "&quot;z&quot;")!.lowerBound < html.range(of: "&quot;a&quot;")!.lowerBound)
        #expect(html.contains("<mark data-path=\"/a/x~1y\"><span class=\"js\">&quot;&lt;b&gt;&quot;</span></mark>"))
        #expect(html.contains("<mark data-path=\"/a/n/1\"><span class=\"jn\">2</span></mark>"))
        // Not JSON (a sample cut at the cap): shown as escaped text.
        #expect(JSONBodyView.render(#"{"a": <"#, highlight: []) == "{&quot;a&quot;: &lt;")
        // A sample withheld because redaction could not be applied: the report says so.
        let note = WithheldSample(reason: .undecodable, detail: "content-encoding 'br' is not decoded").text
        #expect(JSONBodyView.render(note, highlight: []) == "<span class=\"muted withheld\">\(esc(note))</span>")
    }

    @Test func timeTextRoundTrips() {
        let date = LedgerTime.parse("2026-11-22T02:04:33.123Z")!
        #expect(LedgerTime.format(date) == "2026-11-22T02:04:33.123Z")
        #expect(LedgerTime.parse("2026-11-22") == LedgerTime.parse("2026-11-22T00:00:00Z"))
        #expect(LedgerTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(LedgerTime.parse("2026-13-01") == nil)
        #expect(LedgerTime.parse("yesterday") == nil)
    }

    @Test func noiseIsSuggestedOnlyForUniqueValuesInNearlyEveryComparison() {
        let policy = NoisePolicy()
        #expect(policy.isCandidate(field: "$.id", kind: "value_changed", share: 0.95, comparisons: 20))
        #expect(!policy.isCandidate(field: "$.id", kind: "value_changed", share: 0.5, comparisons: 20))
        #expect(!policy.isCandidate(field: "header:etag", kind: "header", share: 1, comparisons: 20))
        #expect(policy.suggestion(route: "GET /a", field: "$.id", share: 1, sampled: 20, distinctLegacy: 20, distinctCandidate: 20) != nil)
        // A repeated value means the field is not a per-request id: a constant change is a regression.
        #expect(policy.suggestion(route: "GET /a", field: "$.id", share: 1, sampled: 20, distinctLegacy: 20, distinctCandidate: 1) == nil)
        #expect(IgnoreRule.yaml(route: "GET /a", field: "status", why: "x") == nil)
        #expect(IgnoreRule.quoted("a\"b\\c") == #""a\"b\\c""#)
    }
}
