import Foundation
@testable import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// The write matrix of store checks (issue 14): per write route, stores × outcome, exact in the report model,
/// every format and the API, on SQLite and (with `TAPCOMPARE_TEST_POSTGRES_URL`) Postgres; store checks never
/// count as HTTP traffic; a write and its store checks link both ways.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct StoreCheckReviewTests {
    static let stores = ["comment_events", "comments_cache", "comments_db"]

    /// The fixture's matrix, whatever the backend.
    static func checkMatrix(_ checks: [StoreCheckRoute], withFields: Bool) throws {
        #expect(checks.map(\.writeRoute) == [ReviewFixture.createRoute])
        let check = try #require(checks.first)
        #expect(check.stores.map(\.store) == Self.stores)
        for row in check.stores {
            #expect(StoreCheckColumns.counts(row) == ReviewFixture.expectedMatrix[row.store], "\(row.store)")
            #expect(row.route == ReviewFixture.createRoute + " @" + row.store)
            #expect(row.comparisons == row.compared + row.errors + row.skipped)
        }
        let db = check.stores[2]
        #expect(db.legacyErrors == 1 && db.candidateErrors == 0)
        #expect(db.mismatchRate == 1.0 / 3.0)
        #expect(db.reasons.map(\.reason) == ["legacy_store_error: timeout: no answer within 2s", "write_failed"])
        #expect(check.stores[1].reasons == [ReasonCount(reason: "candidate_store_error: timeout: no answer within 2s", count: 1)])
        #expect(check.stores[0].candidateErrors == 1)
        if withFields {
            #expect(db.fields.map(\.field) == ["$.body", "$.score"])
            #expect(db.fields[0].regressions == 1 && db.fields[1].races == 1)
            #expect(check.stores[1].fields.map(\.kind) == ["missing_in_candidate"])
            #expect(check.stores[0].fields.map(\.kind) == ["missing_in_legacy", "value_changed"])
        } else {
            let withoutFields = check.stores.allSatisfy { $0.fields.isEmpty }
            #expect(withoutFields)
        }
    }

    static func checkLinks(_ source: LedgerReportSource, _ fixture: ReviewFixture) async throws {
        // The second write lists its eight store checks, by store; the first its three.
        let write = try #require(try await source.comparison(id: fixture.writeIDs[1].uuidString))
        #expect(write.store == nil)
        #expect(write.storeChecks.map(\.store) == ["comment_events", "comment_events", "comments_cache", "comments_cache", "comments_db", "comments_db", "comments_db", "comments_db"])
        let dbChecks = try #require(fixture.storeCheckIDs["comments_db"])
        #expect(write.storeChecks.filter { $0.store == "comments_db" }.map(\.id) == dbChecks.dropFirst().map { $0.uuidString.lowercased() })
        #expect(write.storeChecks.first { $0.id == dbChecks[1].uuidString.lowercased() }.map { ($0.outcome, $0.regressionCount) } ?? ("", 0) == ("mismatch", 1))
        #expect(try await source.comparison(id: fixture.writeIDs[0].uuidString)?.storeChecks.count == 3)
        // A store check names its store and its write.
        let check = try #require(try await source.comparison(id: dbChecks[1].uuidString))
        #expect(check.store == "comments_db")
        #expect(check.linkedComparisonId == fixture.writeIDs[1].uuidString.lowercased())
        #expect(check.storeChecks.isEmpty)
        #expect(check.discrepancies.map(\.field) == ["$.body"])
        // An HTTP comparison that is no write has neither.
        let read = try #require(try await source.comparison(id: fixture.scoreMismatchIDs[0].uuidString))
        #expect(read.store == nil && read.storeChecks.isEmpty)
    }

    static func checkBackend(_ source: LedgerReportSource, _ fixture: ReviewFixture) async throws {
        let query = ReportQuery(runID: fixture.runID)
        let report = try await source.report(query)
        try Self.checkMatrix(report.storeChecks, withFields: true)
        // Store checks are not HTTP traffic: the HTTP figures are the fixture's own (ReportModelTests' numbers).
        try ReportModelTests.checkReport(report, fixture)
        #expect(!report.routes.contains { $0.route.contains(" @") })
        try Self.checkMatrix(try await source.summary(query, includeLatency: false).storeChecks, withFields: false)
        try Self.checkMatrix(try await source.storeChecks(query), withFields: false)
        try await Self.checkLinks(source, fixture)

        // A write route's filter keeps its stores (with their fields) beside its HTTP figures.
        let write = try await source.report(ReportQuery(route: ReviewFixture.createRoute, runID: fixture.runID))
        #expect(write.routes.map(\.route) == [ReviewFixture.createRoute])
        #expect(write.overview.compared == 2)
        try Self.checkMatrix(write.storeChecks, withFields: true)
        // A store check's own route, asked for by name, is reported like a route: its figures and fields.
        let dbRoute = ReviewFixture.createRoute + " @comments_db"
        let db = try await source.report(ReportQuery(route: dbRoute, runID: fixture.runID))
        #expect(db.routes.map(\.route) == [dbRoute])
        #expect(db.routes.first.map { [$0.compared, $0.regressed, $0.noiseOrRaceOnly, $0.skipped] } == [3, 1, 1, 2])
        #expect(db.routes.first?.fields.map(\.field) == ["$.body", "$.score"])
        #expect(db.storeChecks.flatMap(\.stores).map(\.store) == ["comments_db"])
        // Another route has no store checks.
        #expect(try await source.storeChecks(ReportQuery(route: ReviewFixture.postsRoute, runID: fixture.runID)).isEmpty)
        // A window before the store checks has none.
        #expect(try await source.storeChecks(ReportQuery(to: ReviewFixture.t0.addingTimeInterval(200), runID: fixture.runID)).isEmpty)
    }

    @Test func matrixAndLinksOnSQLite() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            try await Self.checkBackend(source, fixture)
        }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func matrixAndLinksOnPostgres() async throws {
        try await ReviewFixture.with(url: ReviewFixture.postgresURL!) { fixture, source, _ in
            try await Self.checkBackend(source, fixture)
        }
    }

    @Test func everyFormatShowsTheExactMatrix() async throws {
        try await ReviewFixture.withSQLite { fixture, source, _ in
            let report = try await source.report(ReportQuery(runID: fixture.runID))

            let table = try await ReportFormat.table.render(report, source: source, color: false)
            let lines = table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(table.contains("Store checks  (writes verified in the stores they land in)"))
            #expect(lines.contains(["STORE", "COMPARED", "MATCHED", "REGRESSIONS", "RACES", "NOISE", "MISSING", "ERRORS", "SKIPPED"]))
            for (store, counts) in ReviewFixture.expectedMatrix {
                #expect(lines.contains([store] + counts.map(String.init)), "table row \(store)")
            }
            #expect(table.contains("  comments_db: legacy_store_error: timeout: no answer within 2s 1, write_failed 1"))
            // The store rows are in their own section, after the HTTP routes table and never inside it (the
            // problems list before it names store checks' routes with the other problems).
            let routesTable = table.components(separatedBy: "Store checks  (")[0].components(separatedBy: "Routes by impact").last ?? ""
            #expect(!routesTable.contains(" @comments_db"))

            let markdown = try await ReportFormat.markdown.render(report, source: source, color: false)
            #expect(markdown.contains("## Store checks"))
            #expect(markdown.contains("### `POST /api/v1/comments`\n\n| Store | Compared | Matched | Regressions | Races | Noise | Missing | Errors | Skipped |"))
            for (store, counts) in ReviewFixture.expectedMatrix {
                #expect(markdown.contains("| `\(store)` | " + counts.map(String.init).joined(separator: " | ") + " |"), "markdown row \(store)")
            }
            #expect(markdown.contains("#### `POST /api/v1/comments @comments_db`"))

            let html = try await ReportFormat.html.render(report, source: source, color: false)
            #expect(html.contains("<section id=\"store-checks\"><h2>Store checks</h2>"))
            for (store, counts) in ReviewFixture.expectedMatrix {
                let cells = counts.map { "\($0)</td>" }
                let row = try #require(html.components(separatedBy: "<tr data-store=\"\(store)\">").dropFirst().first?.components(separatedBy: "</tr>").first)
                let values = row.components(separatedBy: "<td class=\"n").dropFirst().map { $0.components(separatedBy: ">").dropFirst().joined(separator: ">") }
                #expect(values == cells, "html row \(store)")
            }
            // The store's field examples open onto the comparison, which names its write.
            #expect(html.contains("<dt>Write</dt><dd class=\"write-link\"><code>\(fixture.writeIDs[1].uuidString.lowercased())</code></dd>"))

            let json = try await ReportFormat.json.render(report, source: source, color: false)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let checks = try #require(object["store_checks"] as? [[String: Any]])
            #expect(checks.map { $0["write_route"] as? String } == [ReviewFixture.createRoute])
            let rows = try #require(checks.first?["stores"] as? [[String: Any]])
            let keys = ["compared", "matched", "regressions", "races", "noise", "missing", "errors", "skipped"]
            for row in rows {
                let store = try #require(row["store"] as? String)
                #expect(keys.map { row[$0] as? Int } == ReviewFixture.expectedMatrix[store]?.map { Optional($0) }, "json row \(store)")
                for key in ["route", "comparisons", "legacy_errors", "candidate_errors", "mismatch_rate", "reasons", "first_seen", "last_seen", "fields"] {
                    #expect(row[key] != nil, "store_checks[].stores[].\(key) is missing")
                }
            }
            let decoded = try ReportJSON.decoder().decode(Report.self, from: Data(json.utf8))
            #expect(decoded.storeChecks == report.storeChecks)
        }
    }

    @Test func apiAnswersTheMatrixAndTheLinks() async throws {
        let http = ReviewAPITests()
        try await http.withServer { base, fixture in
            let (status, text) = try await http.call(base + "/api/v1/stores?since=all")
            #expect(status == 200)
            let answer = try http.json(text)
            #expect(answer["schema_version"] as? Int == 1)
            let checks = try #require(answer["store_checks"] as? [[String: Any]])
            #expect(checks.map { $0["write_route"] as? String } == [ReviewFixture.createRoute])
            let keys = ["compared", "matched", "regressions", "races", "noise", "missing", "errors", "skipped"]
            for row in try #require(checks.first?["stores"] as? [[String: Any]]) {
                let store = try #require(row["store"] as? String)
                #expect(keys.map { row[$0] as? Int } == ReviewFixture.expectedMatrix[store]?.map { Optional($0) }, "api row \(store)")
            }
            // The route filter: a write route keeps its stores, another route none.
            let one = try http.json(try await http.call(base + "/api/v1/stores?route=\(ReviewAPITests.encoded(ReviewFixture.createRoute + " @comments_db"))").1)
            let oneStores = (one["store_checks"] as? [[String: Any]])?.first?["stores"] as? [[String: Any]]
            #expect(oneStores?.map { $0["store"] as? String } == ["comments_db"])
            #expect((try http.json(try await http.call(base + "/api/v1/stores?route=\(ReviewAPITests.encoded(ReviewFixture.postsRoute))").1)["store_checks"] as? [Any])?.isEmpty == true)

            // The HTTP figures leave store checks out.
            let routes = try #require(try http.json(try await http.call(base + "/api/v1/routes").1)["routes"] as? [[String: Any]])
            #expect(routes.map { $0["route"] as? String } == [ReviewFixture.postsRoute, ReviewFixture.commentRoute, ReviewFixture.createRoute])
            #expect((try http.json(try await http.call(base + "/api/v1/overview").1)["overview"] as? [String: Any])?["comparisons"] as? Int == 22)

            // Write → its store checks; store check → its write.
            let write = try http.json(try await http.call(base + "/api/v1/comparisons/\(fixture.writeIDs[0].uuidString.lowercased())").1)
            let links = try #require(write["store_checks"] as? [[String: Any]])
            #expect(links.map { $0["store"] as? String } == Self.stores)
            #expect(links.map { $0["outcome"] as? String } == ["mismatch", "mismatch", "match"])
            let checkID = try #require(links.first?["id"] as? String)
            let check = try http.json(try await http.call(base + "/api/v1/comparisons/\(checkID)").1)
            #expect(check["store"] as? String == "comment_events")
            #expect(check["linked_comparison_id"] as? String == fixture.writeIDs[0].uuidString.lowercased())
            #expect((check["store_checks"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func assemblerCountsAndFilters() {
        typealias G = LedgerReportSource.StoreCheckGroup
        let groups = [
            G(route: "PUT /a @s", store: "s", outcome: "mismatch", reason: nil, classification: "regression", missing: true, count: 2, first: nil, last: nil),
            G(route: "PUT /a @s", store: "s", outcome: "mismatch", reason: nil, classification: "race", missing: true, count: 1, first: nil, last: nil),
            G(route: "POST /b @s", store: "s", outcome: "match", reason: nil, classification: nil, missing: false, count: 5, first: nil, last: nil),
            G(route: "POST /b @t", store: "t", outcome: "skipped", reason: "legacy_store_error: x", classification: nil, missing: false, count: 1, first: nil, last: nil),
        ]
        let all = StoreCheckAssembler.assemble(groups, route: nil)
        // Regressions first, then missing, errors, traffic.
        #expect(all.map(\.writeRoute) == ["PUT /a", "POST /b"])
        #expect(StoreCheckColumns.counts(all[0].stores[0]) == [3, 0, 2, 1, 0, 3, 0, 0])
        #expect(all[1].stores.map(\.store) == ["s", "t"])
        #expect(StoreCheckColumns.counts(all[1].stores[1]) == [0, 0, 0, 0, 0, 0, 1, 0])
        #expect(StoreCheckAssembler.assemble(groups, route: "POST /b").flatMap(\.stores).map(\.route) == ["POST /b @s", "POST /b @t"])
        #expect(StoreCheckAssembler.assemble(groups, route: "POST /b @t").flatMap(\.stores).map(\.route) == ["POST /b @t"])
        #expect(StoreCheckAssembler.assemble(groups, route: "GET /c").isEmpty)
    }
}
