import Foundation
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// Cut-over verdicts over the seeded ledger (``ReviewFixture``), on SQLite and (with
/// `TAPCOMPARE_TEST_POSTGRES_URL`) Postgres, and through `/api/v1/verdict`.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct VerdictLedgerTests {
    static let db = ReviewFixture.createRoute + " @comments_db"
    static let cache = ReviewFixture.createRoute + " @comments_cache"
    static let events = ReviewFixture.createRoute + " @comment_events"

    static func check(_ source: LedgerReportSource, _ fixture: ReviewFixture) async throws {
        let report = try await source.report(ReportQuery(runID: fixture.runID))
        let v = VerdictAssembler.assemble(report, policy: CutoverPolicy())
        // HTTP routes by impact, each write followed by its store checks (by store name).
        #expect(v.routes.map(\.route) == [ReviewFixture.postsRoute, ReviewFixture.commentRoute, ReviewFixture.createRoute, Self.events, Self.cache, Self.db])
        #expect(v.routes.map(\.writeRoute) == [nil, nil, nil, ReviewFixture.createRoute, ReviewFixture.createRoute, ReviewFixture.createRoute])
        #expect(v.routes.map(\.status) == [.notReady, .notReady, .notEnoughData, .notReady, .notReady, .notReady])
        #expect(v.status == .notReady)
        #expect(v.exitCode == 1)

        let posts = try #require(v.routes.first)
        #expect(posts.compared == 6 && posts.regressed == 6)
        #expect(posts.blockers.map(\.field) == ["$.request_id", "$.comments[*].score"])
        #expect(posts.blockers.map(\.regressions) == [6, 4])
        // Candidate 20…120 ms against legacy 10…60: twice as slow, flagged but not yet judged (6 < 1,000).
        #expect(posts.latency?.holds == false)

        let comments = v.routes[1]
        #expect(comments.compared == 10 && comments.regressed == 3)
        // The race on $.updated_at does not block.
        #expect(comments.blockers.map(\.field) == ["$.score"])
        #expect(comments.latency?.holds == true)
        // The signatures that block it: the report's problems of that route.
        #expect(comments.problems.map(\.shape) == ["float changed"])
        #expect(posts.problems.map(\.field) == ["$.request_id", "$.comments[*].score"])
        #expect(comments.reasons == ["regression rate 30.00% (3 of 10) is above the target 0.10%"])

        // The write itself: 2 clean comparisons 10 s apart; 2,703 are needed (720 an hour: about 3 h 45 m).
        let write = v.routes[2]
        #expect(write.compared == 2 && write.regressed == 0)
        #expect(write.moreComparisonsNeeded == 2701)
        #expect(write.comparedPerHour == 720)
        #expect(abs((write.estimatedSeconds ?? 0) - 2701.0 / 720 * 3600) < 1e-6)

        // Store checks: their own figures (the write matrix's), regressions only.
        let dbVerdict = try #require(v.routes.first { $0.route == Self.db })
        #expect(dbVerdict.compared == 3 && dbVerdict.regressed == 1)
        #expect(dbVerdict.blockers.map(\.field) == ["$.body"])
        #expect(dbVerdict.latency == nil)

        // Named routes: a write brings its store checks; an unknown route lacks data.
        let named = VerdictAssembler.assemble(report, policy: CutoverPolicy(), routes: [ReviewFixture.createRoute])
        #expect(named.routes.map(\.route) == [ReviewFixture.createRoute, Self.events, Self.cache, Self.db])
        let unknown = VerdictAssembler.assemble(report, policy: CutoverPolicy(), routes: ["GET /nope"])
        #expect(unknown.routes.map(\.route) == ["GET /nope"])
        #expect(unknown.status == .notEnoughData && unknown.exitCode == 3)
        #expect(unknown.routes.first?.moreComparisonsNeeded == 2703)
        // A loose target makes the comments route ready (3/10: bound 58 % at 95 %), the latency holding.
        let loose = CutoverPolicy(maxRegressionRate: 0.9, minComparisons: 5)
        let ready = VerdictAssembler.assemble(report, policy: loose, routes: [ReviewFixture.commentRoute])
        #expect(ready.status == .ready && ready.exitCode == 0)
        #expect(abs((ready.routes.first?.upperBound ?? 0) - WilsonBound.upper(failures: 3, trials: 10, confidence: 0.95)) < 1e-12)
    }

    @Test func verdictsOnSQLite() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in try await Self.check(source, fixture) }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func verdictsOnPostgres() async throws {
        try await ReviewFixture.with(url: ReviewFixture.postgresURL!) { fixture, source, _ in try await Self.check(source, fixture) }
    }

    @Test func everyFormatSaysTheVerdict() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let v = VerdictAssembler.assemble(try await source.report(ReportQuery(runID: fixture.runID)), policy: CutoverPolicy())
            let table = try VerdictFormat.table.render(v, color: false)
            #expect(table.contains("not ready"))
            #expect(table.contains("  ↳ @comments_db"))
            #expect(table.contains("✗ $.score value_changed: 3 regressions in 3 comparisons\n      float changed: 3 comparisons, e.g. "))
            #expect(table.contains("+2,701"))
            #expect(table.contains("Overall    not ready (exit 1)"))
            let markdown = try VerdictFormat.markdown.render(v, color: false)
            #expect(markdown.contains("| **not enough data** | `POST /api/v1/comments` | 2 | 0 | 0% |"))
            #expect(markdown.contains("- blocked by `$.request_id` value_changed: 6 regressions in 6 comparisons: string changed (6)"))
            let decoded = try ReportJSON.decoder().decode(VerdictReport.self, from: Data(try VerdictFormat.json.render(v, color: false).utf8))
            #expect(decoded.routes.map(\.status) == v.routes.map(\.status))
            #expect(decoded.policy == CutoverPolicy())
        }
    }

    @Test func apiAnswersTheVerdicts() async throws {
        let http = ReviewAPITests()
        try await http.withServer { base, _ in
            let (status, text) = try await http.call(base + "/api/v1/verdict")
            #expect(status == 200)
            let answer = try http.json(text)
            #expect(answer["status"] as? String == "not_ready")
            let routes = try #require(answer["routes"] as? [[String: Any]])
            #expect(routes.map { $0["status"] as? String } == ["not_ready", "not_ready", "not_enough_data", "not_ready", "not_ready", "not_ready"])
            #expect(routes[2]["more_comparisons_needed"] as? Int == 2701)
            #expect((answer["policy"] as? [String: Any])?["max_regression_rate"] as? Double == 0.001)
            let two = try http.json(try await http.call(base + "/api/v1/verdict?route=\(ReviewAPITests.encoded(ReviewFixture.commentRoute))&route=\(ReviewAPITests.encoded("GET /nope"))").1)
            #expect((two["routes"] as? [[String: Any]])?.map { $0["route"] as? String } == [ReviewFixture.commentRoute, "GET /nope"])
            let bad = try await http.call(base + "/api/v1/verdict?since=soon")
            #expect(bad.0 == 400)
            #expect(bad.1.contains("since='soon' is not a duration"))
        }
    }
}
