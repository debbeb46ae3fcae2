import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// The report computed from a seeded ledger: exact counts, rates, percentiles, ordering and the noise suggestion,
/// on SQLite and (when `TAPCOMPARE_TEST_POSTGRES_URL` is set) on Postgres.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReportModelTests {
    /// Whether `value` is within `tolerance` (relative) of `exact`: the documented error of bucketed percentiles.
    static func near(_ value: Double?, _ exact: Double, tolerance: Double = LatencyBuckets.relativeError) -> Bool {
        guard let value else { return false }
        return abs(value - exact) <= tolerance * abs(exact) * (1 + 1e-9)
    }

    static func near(_ value: Percentiles?, _ exact: Percentiles, tolerance: Double = LatencyBuckets.relativeError) -> Bool {
        near(value?.p50, exact.p50, tolerance: tolerance) && near(value?.p90, exact.p90, tolerance: tolerance) && near(value?.p99, exact.p99, tolerance: tolerance)
    }

    /// What both backends must answer for the fixture's run.
    static func checkReport(_ report: Report, _ fixture: ReviewFixture) throws {
        let o = report.overview
        #expect(report.schemaVersion == 1)
        #expect(o.comparisons == 22)
        #expect(o.compared == 18)
        #expect(o.matches == 8)
        #expect(o.mismatches == 10)
        #expect(o.regressed == 9)
        #expect(o.noiseOrRaceOnly == 1)
        #expect(o.raceOnly == 1 && o.noiseOnly == 0, "the fixture's only non-regression mismatch is a race (issue 15: counted apart)")
        #expect(o.mismatchRate == 0.5)
        #expect(o.candidateErrors == 1)
        #expect(o.candidateTimeouts == 1)
        #expect(o.skipped == 2)
        #expect(o.skipsByReason == [ReasonCount(reason: "body_too_large", count: 2)])
        #expect(o.errorsByReason.map(\.reason).sorted() == ["error: connection refused", "timeout: timeout after 500ms"])
        #expect(o.firstSeen == ReviewFixture.t0)
        #expect(o.lastSeen == fixture.lastRecordedAt)
        #expect(Set(o.instances.map(\.instance)) == ["proxy-a", "proxy-b"])
        #expect(o.instances.reduce(0) { $0 + $1.comparisons } == 22)

        // Routes by impact: most regressed comparisons first.
        #expect(report.routes.map(\.route) == [ReviewFixture.postsRoute, ReviewFixture.commentRoute, ReviewFixture.createRoute])
        let comments = try #require(report.routes.first { $0.route == ReviewFixture.commentRoute })
        #expect(comments.comparisons == 14)
        #expect(comments.compared == 10)
        #expect(comments.regressed == 3)
        #expect(comments.noiseOrRaceOnly == 1)
        #expect(comments.raceOnly == 1 && comments.noiseOnly == 0)
        #expect(comments.mismatchRate == 0.3)
        #expect(comments.legacyStatus == [StatusCount(status: 200, count: 12)])
        #expect(comments.candidateStatus == [StatusCount(status: 200, count: 10), StatusCount(status: nil, count: 2)])
        // Nearest rank over the 10 compared requests: p50 = 5th, p90 = 9th, p99 = 10th value, read from the
        // latency buckets (within LatencyBuckets.relativeError; a ratio of two such values within twice that).
        #expect(Self.near(comments.latency.legacy, Percentiles(p50: 50, p90: 90, p99: 100)))
        #expect(Self.near(comments.latency.candidate, Percentiles(p50: 25, p90: 45, p99: 50)))
        #expect(Self.near(comments.latency.ratio, Percentiles(p50: 0.5, p90: 0.5, p99: 0.5), tolerance: 2.01 * LatencyBuckets.relativeError))

        // Fields: regressions before races; share over the route's compared requests.
        #expect(comments.fields.map(\.field) == ["$.score", "$.updated_at"])
        let score = comments.fields[0]
        #expect(score.kind == "value_changed")
        #expect(score.occurrences == 3)
        #expect(score.comparisons == 3)
        #expect(score.share == 0.3)
        #expect(score.regressions == 3 && score.noise == 0 && score.races == 0)
        #expect(score.suggestion == nil)
        // Two examples, newest first.
        #expect(score.examples.map(\.comparisonId) == fixture.scoreMismatchIDs.reversed().prefix(2).map { $0.uuidString.lowercased() })
        #expect(score.examples.first?.legacyValue == "1.5")
        #expect(score.examples.first?.candidateValue == "1.28")
        #expect(score.examples.first?.path == "/score")
        let race = comments.fields[1]
        #expect(race.races == 1 && race.regressions == 0)

        let posts = try #require(report.routes.first)
        #expect(posts.mismatchRate == 1)
        #expect(Self.near(posts.latency.ratio?.p99, 2, tolerance: 2.01 * LatencyBuckets.relativeError))
        #expect(posts.fields.map(\.field) == ["$.request_id", "$.comments[*].score"])
        let requestID = posts.fields[0]
        #expect(requestID.share == 1)
        let suggestion = try #require(requestID.suggestion)
        #expect(suggestion.sampled == 6 && suggestion.distinctLegacy == 6 && suggestion.distinctCandidate == 6)
        #expect(suggestion.rule.contains("- route: \"GET /api/v1/posts/{id}/comments\""))
        #expect(suggestion.rule.contains("ignore:\n      - \"$.request_id\""))
        // An array field differing twice in one comparison counts that comparison once.
        let arrayField = posts.fields[1]
        #expect(arrayField.occurrences == 4)
        #expect(arrayField.comparisons == 2)
        #expect(abs(arrayField.share - 2.0 / 6.0) < 1e-12)
        #expect(arrayField.suggestion == nil)

        let create = try #require(report.routes.last)
        #expect(create.mismatchRate == 0 && create.fields.isEmpty)
        #expect(create.legacyStatus == [StatusCount(status: 201, count: 2)])

        // The timeline covers every compared request and puts regressions where they happened.
        #expect(report.timeline.buckets.reduce(0) { $0 + $1.compared } == 18)
        #expect(report.timeline.buckets.reduce(0) { $0 + $1.regressed } == 9)
        #expect(report.timeline.bucketSeconds == 60)
    }

    @Test func reportFromSQLite() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            try Self.checkReport(report, fixture)
            // Only the gap overlapping the data's span is reported.
            #expect(report.gaps.map(\.count) == [7])
            #expect(report.overview.missingInGaps == 7)
            // Without a run filter the same ledger gives the same figures (it holds one run).
            try Self.checkReport(try await source.report(ReportQuery()), fixture)
        }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func reportFromPostgres() async throws {
        try await ReviewFixture.with(url: ReviewFixture.postgresURL!) { fixture, source, _ in
            try Self.checkReport(try await source.report(ReportQuery(runID: fixture.runID)), fixture)
            let detail = try #require(try await source.comparison(id: fixture.scoreMismatchIDs[0].uuidString))
            #expect(detail.discrepancies.map(\.path) == ["/score"])
            #expect(detail.legacySample?.contains("\"score\":1.5") == true)
            // Annotations round-trip on Postgres too (a route of this run's own, the database is shared).
            let route = "GET /review-test/\(fixture.runID)"
            let stored = try await source.annotate(NewAnnotation(route: route, field: "$.id", note: "per request"))
            #expect(stored.id > 0 && stored.createdAt != nil)
            #expect(try await source.annotations().contains { $0.id == stored.id && $0.route == route && $0.rule?.contains("- \"$.id\"") == true })
            // A window on Postgres: the first 50 s hold comments 1…5.
            let window = try await source.report(ReportQuery(from: ReviewFixture.t0, to: ReviewFixture.t0.addingTimeInterval(50), runID: fixture.runID))
            #expect(window.overview.compared == 5 && window.overview.regressed == 2)
        }
    }

    @Test func aWindowAndARouteNarrowTheReport() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            // The first 50 s: comments 1…5 (matches 1, 3, 4; score mismatches 2 and 5).
            let window = ReportQuery(from: ReviewFixture.t0, to: ReviewFixture.t0.addingTimeInterval(50))
            let report = try await source.report(window)
            #expect(report.overview.compared == 5)
            #expect(report.overview.regressed == 2)
            #expect(report.overview.mismatchRate == 0.4)
            #expect(report.routes.map(\.route) == [ReviewFixture.commentRoute])
            #expect(report.routes[0].fields.map(\.field) == ["$.score"])
            #expect(report.routes[0].fields[0].comparisons == 2)
            // The gap at t0+60 s starts after this window ends.
            #expect(report.gaps.isEmpty)

            let onlyPosts = try await source.report(ReportQuery(route: ReviewFixture.postsRoute))
            #expect(onlyPosts.routes.map(\.route) == [ReviewFixture.postsRoute])
            #expect(onlyPosts.overview.compared == 6)

            // A classification filter narrows the field list, not the route figures.
            let races = try await source.report(ReportQuery(classification: .race))
            #expect(races.overview.regressed == 9)
            #expect(races.routes.flatMap(\.fields).map(\.field) == ["$.updated_at"])

            let empty = try await source.report(ReportQuery(from: ReviewFixture.t0.addingTimeInterval(86_400)))
            #expect(empty.overview.comparisons == 0 && empty.routes.isEmpty && empty.overview.mismatchRate == 0)
        }
    }

    @Test func comparisonDetailAndUnknownIDs() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let id = fixture.scoreMismatchIDs[1]
            let detail = try #require(try await source.comparison(id: id.uuidString))
            #expect(detail.id == id.uuidString.lowercased())
            #expect(detail.route == ReviewFixture.commentRoute)
            #expect(detail.outcome == "mismatch")
            #expect(detail.discrepancies == [DiscrepancyDetail(ordinal: 0, path: "/score", field: "$.score", kind: "value_changed", legacyValue: "1.5", candidateValue: "1.25", classification: "regression")])
            #expect(try await source.comparison(id: UUID().uuidString) == nil)
            await #expect(throws: ReviewError.self) { _ = try await source.comparison(id: "1 OR 1=1") }
        }
    }

    @Test func aMissingLedgerFileIsAClearError() async throws {
        let url = LedgerURL(backend: .sqlite(path: "/nonexistent/dir/ledger.sqlite"))
        let error = await #expect(throws: ReviewError.self) {
            try await LedgerReaders.withReader(url: url, logger: ReviewFixture.logger) { db in
                _ = try await LedgerReportSource(reader: db, ledgerDescription: url.description).report(ReportQuery())
            }
        }
        #expect(error?.message.contains("no SQLite ledger at '/nonexistent/dir/ledger.sqlite'") == true)
    }

    @Test func annotationsRoundTrip() async throws {
        try await ReviewFixture.withSQLite { _, source, _ in
            let stored = try await source.annotate(NewAnnotation(route: ReviewFixture.postsRoute, field: "$.request_id", kind: "value_changed", note: "ids differ by design", createdBy: "ann"))
            #expect(stored.id > 0)
            #expect(stored.classification == "noise")
            #expect(stored.rule?.contains("- \"$.request_id\"") == true)
            #expect(try await source.annotations().map(\.id) == [stored.id])
            let fields = try await source.fields(route: ReviewFixture.postsRoute, query: ReportQuery())
            #expect(fields.first { $0.field == "$.request_id" }?.annotation == "noise")
            await #expect(throws: ReviewError.self) { _ = try await source.annotate(NewAnnotation(route: "r", field: "f", classification: "bogus")) }
            await #expect(throws: ReviewError.self) { _ = try await source.annotate(NewAnnotation(route: "", field: "f")) }
        }
    }
}
