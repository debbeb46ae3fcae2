import Foundation
import NIOHTTP1
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// Regressions grouped by signature (issue 19): value shapes, grouping, and "N problems" over the seeded ledger
/// in every format, on SQLite and (with `TAPCOMPARE_TEST_POSTGRES_URL`) Postgres.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct SignatureTests {
    @Test func valueShapes() {
        #expect(ValueShape.of(legacy: "1", candidate: #""1""#) == "int→string")
        #expect(ValueShape.of(legacy: "2", candidate: "2.0") == "int→float")
        #expect(ValueShape.of(legacy: #""abc ""#, candidate: #""abc""#) == "string: trailing whitespace trimmed")
        #expect(ValueShape.of(legacy: #""abc\n""#, candidate: #""abc""#) == "string: trailing whitespace trimmed")
        #expect(ValueShape.of(legacy: #""abc""#, candidate: #""abc ""#) == "string: trailing whitespace added")
        #expect(ValueShape.of(legacy: #"" abc""#, candidate: #""abc""#) == "string: leading whitespace trimmed")
        #expect(ValueShape.of(legacy: #""Ann""#, candidate: #""ann""#) == "string: case changed")
        #expect(ValueShape.of(legacy: #""Ann""#, candidate: #""Bob""#) == "string changed")
        #expect(ValueShape.of(legacy: "1.25", candidate: "1.3") == "number: rounded")
        #expect(ValueShape.of(legacy: "1.2345", candidate: "1.23") == "number: rounded")
        #expect(ValueShape.of(legacy: "1.5", candidate: "1.22") == "float changed")
        #expect(ValueShape.of(legacy: "4.5", candidate: "4") == "number: rounded")
        #expect(ValueShape.of(legacy: "4.7", candidate: "4") == "number: truncated")
        #expect(ValueShape.of(legacy: "4.7", candidate: "3") == "float→int")
        #expect(ValueShape.of(legacy: "3", candidate: "null") == "null in candidate (int)")
        #expect(ValueShape.of(legacy: "null", candidate: #""x""#) == "null in legacy (string)")
        #expect(ValueShape.of(legacy: "3", candidate: nil) == "missing in candidate")
        #expect(ValueShape.of(legacy: nil, candidate: "{}") == "missing in legacy")
        #expect(ValueShape.of(legacy: "true", candidate: "false") == "bool changed")
        #expect(ValueShape.of(legacy: "[1]", candidate: "[1,2]") == "array changed")
    }

    @Test func theSameBugOnDifferentIdsAndDepthsGroupsDistinctBugsStayApart() {
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        func row(_ id: String, _ s: Double, _ field: String, _ l: String?, _ c: String?, route: String = "GET /a") -> RegressionRow {
            RegressionRow(comparisonId: id, recordedAt: t0.addingTimeInterval(s), route: route, field: field, kind: "value_changed", legacyValue: l, candidateValue: c)
        }
        let rows = [
            // Newest first, as the ledger reads them.
            row("c4", 40, "$.items[*].name", #""d ""#, #""d""#),
            row("c3", 30, "$.items[*].name", #""Cc""#, #""cc""#),
            row("c2", 20, "$.items[*].name", #""b ""#, #""b""#),
            row("c2", 20, "$.items[*].name", #""bb ""#, #""bb""#),
            row("c1", 10, "$.items[*].name", #""a ""#, #""a""#),
            row("c1", 10, "$.id", "1", #""1""#),
            row("c5", 50, "$.id", "1", #""1""#, route: "GET /b"),
        ]
        let problems = SignatureGrouper.group(rows, compared: ["GET /a": 10, "GET /b": 4])
        // Most comparisons first, then by route and field.
        #expect(problems.map(\.shape) == ["string: trailing whitespace trimmed", "int→string", "string: case changed", "int→string"])
        let trimmed = problems[0]
        #expect(trimmed.comparisons == 3 && trimmed.occurrences == 4)
        #expect(trimmed.exampleComparisonIds == ["c4", "c2", "c1"])
        #expect(trimmed.firstSeen == t0.addingTimeInterval(10) && trimmed.lastSeen == t0.addingTimeInterval(40))
        #expect(trimmed.share == 0.3)
        #expect(problems[3].route == "GET /b" && problems[3].share == 0.25)
        #expect(Set(problems.map(\.id)).count == 4)
    }

    static let expected: [(route: String, field: String, shape: String, comparisons: Int, occurrences: Int)] = [
        (ReviewFixture.postsRoute, "$.request_id", "string changed", 6, 6),
        (ReviewFixture.commentRoute, "$.score", "float changed", 3, 3),
        (ReviewFixture.postsRoute, "$.comments[*].score", "int changed", 2, 4),
        (ReviewFixture.createRoute + " @comment_events", "$", "missing in legacy", 1, 1),
        (ReviewFixture.createRoute + " @comments_cache", "$", "missing in candidate", 1, 1),
        (ReviewFixture.createRoute + " @comments_db", "$.body", "string: trailing whitespace added", 1, 1),
    ]

    static func check(_ source: LedgerReportSource, _ fixture: ReviewFixture) async throws {
        let report = try await source.report(ReportQuery(runID: fixture.runID))
        #expect(report.problems.count == 6)
        #expect(!report.problemsTruncated)
        for (p, e) in zip(report.problems, Self.expected) {
            #expect(p.route == e.route && p.field == e.field && p.shape == e.shape, "\(p)")
            #expect(p.comparisons == e.comparisons && p.occurrences == e.occurrences, "\(p.route) \(p.field)")
        }
        let score = report.problems[1]
        #expect(score.share == 0.3)
        #expect(score.exampleComparisonIds == fixture.scoreMismatchIDs.reversed().map { $0.uuidString.lowercased() })
        #expect(score.firstSeen != nil && score.firstSeen! < score.lastSeen!)
        #expect(report.problems[0].share == 1)
        // The candidate versions of the `$.score` mismatches: 2.4.1 answered the last two, 2.4.0 the first.
        #expect(score.versions.map(\.version) == ["2.4.1", "2.4.0"])
        #expect(score.versions.map(\.comparisons) == [2, 1])
        #expect(score.versions.first?.lastSeen == score.lastSeen)
        #expect(report.problems[0].versions.isEmpty, "no version recorded")
        // Posts: $.request_id alone in 4 comparisons, with $.comments[*].score in 2; the rest one problem each.
        #expect(report.signatureSets.map(\.comparisons) == [4, 3, 2, 1, 1, 1])
        #expect(report.signatureSets[2].labels == ["$.request_id: string changed", "$.comments[*].score: int changed"])
        #expect(report.signatureSets[2].route == ReviewFixture.postsRoute)
        #expect(report.signatureSets[0].share == 4.0 / 12)
        #expect(report.signatureSetsOmitted == 0)
        // `/api/v1/problems` reads the same problems, shares included, without the rest of the report. (Statuses
        // are the ledger's, shared with the status tests running beside this one on Postgres: not compared.)
        let list = try await source.problems(ReportQuery(runID: fixture.runID))
        #expect(list.problems.map(\.id) == report.problems.map(\.id) && !list.truncated)
        #expect(list.problems.map(\.share) == report.problems.map(\.share))
        #expect(list.problems.map(\.exampleComparisonIds) == report.problems.map(\.exampleComparisonIds))
        #expect(list.signatureSets == report.signatureSets && list.problems.map(\.versions) == report.problems.map(\.versions))
        let c = list.counts
        #expect(c.open + c.accepted + c.fixed + c.fixRegressed == 6)
        let one = try await source.problems(ReportQuery(route: ReviewFixture.commentRoute, runID: fixture.runID))
        #expect(one.problems.map(\.id) == [score.id] && one.problems.first?.share == 0.3)
    }

    @Test func problemsOnSQLite() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in try await Self.check(source, fixture) }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func problemsOnPostgres() async throws {
        try await ReviewFixture.with(url: ReviewFixture.postgresURL!) { fixture, source, _ in try await Self.check(source, fixture) }
    }

    /// A reviewer's status is stored in the ledger (schema version 6) and comes back with the problem; a problem
    /// marked `fixed` that is seen again afterwards is flagged.
    static func checkStatus(_ source: LedgerReportSource, _ fixture: ReviewFixture, url: LedgerURL) async throws {
        let query = ReportQuery(runID: fixture.runID)
        let before = try await source.report(query)
        let score = before.problems[1], ids = before.problems[0]
        #expect(score.field == "$.score")
        let stored = try await source.setProblemStatus(NewProblemStatus(route: score.route, kind: score.kind, field: score.field, shape: score.shape, status: "fixed", note: "rounding fixed in 2.3", setBy: "ann"))
        #expect(stored.signature == score.id && stored.status == "fixed" && stored.note == "rounding fixed in 2.3" && stored.setAt != nil)
        _ = try await source.setProblemStatus(NewProblemStatus(route: ids.route, kind: ids.kind, field: ids.field, shape: ids.shape, status: "open"))
        // Set again: one row per signature, the last status wins.
        _ = try await source.setProblemStatus(NewProblemStatus(route: ids.route, kind: ids.kind, field: ids.field, shape: ids.shape, status: "accepted", note: "ids are per request"))
        let after = try await source.report(query)
        let fixed = try #require(after.problems.first { $0.id == score.id })
        #expect(fixed.status == "fixed" && !fixed.fixRegressed)
        #expect(after.problems.first { $0.id == ids.id }?.status == "accepted")
        #expect(after.problems.first { $0.id == ids.id }?.statusNote == "ids are per request")

        // The fixed problem comes back: the same shape on the same field, recorded after the status was set.
        var rng = SystemRandomNumberGenerator()
        let at = Date().addingTimeInterval(1)
        let back = LedgerComparison(
            id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at, instance: "proxy-a",
            requestID: "back", method: "GET", route: ReviewFixture.commentRoute, path: "/api/v1/comments/9", legacyStatus: 200, candidateStatus: 200,
            legacyMilliseconds: 10, candidateMilliseconds: 10, outcome: "mismatch", reason: nil, discrepancyCount: 1, regressionCount: 1,
            requestSample: nil, legacySample: nil, candidateSample: nil, samplesTruncated: false, runID: fixture.runID, linkedComparisonID: nil, store: nil,
            discrepancies: [LedgerDiscrepancy(path: "/score", field: "$.score", kind: "value_changed", legacyValue: "2.5", candidateValue: "2.11", classification: "regression")]
        )
        try await LedgerStores.withStore(url: url, logger: ReviewFixture.logger) { store in try await store.insert([back]) }
        let again = try await source.report(query)
        let regressed = try #require(again.problems.first { $0.id == score.id })
        #expect(regressed.fixRegressed && regressed.comparisons == 4)
        #expect(TableRenderer(color: false).render(again).contains("fixed, seen again"))
        #expect(MarkdownRenderer().render(again).contains("**fixed, seen again**"))

        await #expect(throws: ReviewError.self) {
            try await source.setProblemStatus(NewProblemStatus(route: score.route, kind: score.kind, field: score.field, shape: score.shape, status: "done"))
        }
    }

    @Test func statusesOnSQLite() async throws {
        try await ReviewFixture.withSQLite { fixture, source, url in try await Self.checkStatus(source, fixture, url: url) }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func statusesOnPostgres() async throws {
        try await ReviewFixture.with(url: ReviewFixture.postgresURL!) { fixture, source, url in try await Self.checkStatus(source, fixture, url: url) }
    }

    @Test func apiSetsAStatus() async throws {
        let http = ReviewAPITests()
        try await http.withServer { base, _ in
            let body = #"{"route": "GET /api/v1/comments/{id}", "kind": "value_changed", "field": "$.score", "shape": "float changed", "status": "accepted", "set_by": "ann"}"#
            let (status, text) = try await http.call(base + "/api/v1/problems/status", method: .POST, body: body)
            #expect(status == 200, "\(text)")
            #expect(try http.json(text)["signature"] as? String == SignatureGrouper.id(route: ReviewFixture.commentRoute, kind: "value_changed", field: "$.score", shape: "float changed"))
            let bad = try await http.call(base + "/api/v1/problems/status", method: .POST, body: body.replacingOccurrences(of: "accepted", with: "wontfix"))
            #expect(bad.0 == 400)
            #expect(bad.1.contains("use open, accepted or fixed"))
            let report = try http.json(try await http.call(base + "/api/v1/report").1)
            let problems = try #require(report["problems"] as? [[String: Any]])
            #expect(problems.first { $0["field"] as? String == "$.score" }?["status"] as? String == "accepted")
        }
    }

    /// The UI's headline counts what needs a reviewer: the open problems and the fixed ones seen again.
    @Test func problemCountsSetTheFixesThatCameBackApart() throws {
        func problem(_ status: ProblemStatus, regressed: Bool = false) -> ProblemSignature {
            var p = ProblemSignature(id: UUID().uuidString, route: "GET /a", kind: "value_changed", field: "$.x", shape: "int changed", firstSeen: nil,
                                     lastSeen: nil, occurrences: 1, comparisons: 1, share: 0.1, exampleComparisonIds: [])
            p.status = status.rawValue
            p.fixRegressed = regressed
            return p
        }
        let list = ProblemList(problems: [problem(.open), problem(.open), problem(.accepted), problem(.fixed), problem(.fixed, regressed: true)], truncated: false)
        let counts = list.counts
        #expect(counts.open == 2 && counts.accepted == 1 && counts.fixed == 1 && counts.fixRegressed == 1)
        #expect(counts.needingReview == 3)
        let json = String(decoding: try ReportJSON.encoder().encode(counts), as: UTF8.self)
        #expect(json.contains(#""needing_review" : 3"#) && json.contains(#""fix_regressed" : 1"#))
    }

    @Test func everyFormatShowsTheProblemsFirst() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            let table = TableRenderer(color: false).render(report)
            let markdown = MarkdownRenderer().render(report)
            let html = HTMLReportRenderer().render(report, comparisons: [:])
            for (name, text, routes) in [("table", table, "Routes by impact"), ("markdown", markdown, "## Routes by impact"), ("html", html, "<h2>Routes by impact</h2>")] {
                let problems = try #require(text.range(of: "6 problems"), "\(name)")
                let routesAt = try #require(text.range(of: routes), "\(name)")
                #expect(problems.lowerBound < routesAt.lowerBound, "\(name): problems first")
                #expect(text.contains("string: trailing whitespace added"), "\(name)")
                #expect(text.contains("missing in candidate"), "\(name)")
            }
            #expect(markdown.contains("| `GET /api/v1/posts/{id}/comments` | `$.request_id` | value_changed | string changed | 6 | 100% |"))
            let decoded = try ReportJSON.decoder().decode(Report.self, from: Data(try ReportJSON.render(report).utf8))
            #expect(decoded.problems == report.problems)
        }
    }
}
