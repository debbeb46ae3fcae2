import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// Per problem, the candidate versions it was seen with; and the comparisons grouped by the set of problems they
/// carry (issue 19). Over a seeded ledger on SQLite and (with `TAPCOMPARE_TEST_POSTGRES_URL`) Postgres, in every
/// format and through the review API.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct SignatureVersionTests {
    static let route = "GET /api/v1/items/{id}"
    static let t0 = LedgerTime.parse("2026-11-21T08:00:00.000Z")!
    static let a = "$.score: int changed"
    static let b = "$.title: string: case changed"
    static let c = "$.id: int→string"

    /// Comparisons every 10 s on one route, each with its problems (A `$.score` int changed, B `$.title` case
    /// changed, C `$.id` int→string) and its candidate version:
    ///
    /// | # | version | problems |
    /// |---|---|---|
    /// | 0 | v1 | A B |
    /// | 1 | v1 | A |
    /// | 2 | v2 | A B |
    /// | 3 | v2 | A B |
    /// | 4 | v2 | B |
    /// | 5 | v2 | C |
    /// | 6 | v2 | C (twice: two rows, one comparison) |
    /// | 7 | none | A |
    /// | 8 | v3 | a race only (never a problem) |
    /// | 9 | v3 | match |
    static func seed(runID: String) -> [LedgerComparison] {
        var rng = SystemRandomNumberGenerator()
        func d(_ field: String, _ legacy: String, _ candidate: String, _ classification: String = "regression") -> LedgerDiscrepancy {
            LedgerDiscrepancy(path: "/" + field.dropFirst(2), field: field, kind: "value_changed", legacyValue: legacy, candidateValue: candidate, classification: classification)
        }
        let A = d("$.score", "1", "2"), B = d("$.title", #""Ann""#, #""ann""#), C = d("$.id", "7", #""7""#)
        let plan: [(String?, [LedgerDiscrepancy])] = [
            ("v1", [A, B]), ("v1", [A]), ("v2", [A, B]), ("v2", [A, B]), ("v2", [B]), ("v2", [C]), ("v2", [C, C]), (nil, [A]),
            ("v3", [d("$.updated_at", "1", "2", "race")]), ("v3", []),
        ]
        return plan.enumerated().map { i, entry in
            let at = Self.t0.addingTimeInterval(Double(i) * 10)
            return LedgerComparison(
                id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at, instance: "proxy-a",
                requestID: "req-\(i)", method: "GET", route: Self.route, path: "/api/v1/items/\(i)", legacyStatus: 200, candidateStatus: 200,
                legacyMilliseconds: 10, candidateMilliseconds: 10, outcome: entry.1.isEmpty ? "match" : "mismatch", reason: nil,
                discrepancyCount: entry.1.count, regressionCount: entry.1.filter { $0.classification == "regression" }.count,
                requestSample: nil, legacySample: nil, candidateSample: nil, samplesTruncated: false, runID: runID, linkedComparisonID: nil,
                candidateVersion: entry.0, discrepancies: entry.1
            )
        }
    }

    /// Seeds `url` (its own run id: tests sharing a Postgres database never see each other's rows).
    static func withSeeded(url: LedgerURL, _ body: @Sendable (LedgerReportSource, String) async throws -> Void) async throws {
        let runID = "versions-\(UUID().uuidString.prefix(8).lowercased())"
        try await LedgerStores.withStore(url: url, logger: ReviewFixture.logger) { store in
            _ = try await store.migrate()
            try await store.insert(Self.seed(runID: runID))
        }
        try await LedgerReaders.withReader(url: url, logger: ReviewFixture.logger) { database in
            try await body(LedgerReportSource(reader: database, ledgerDescription: url.description), runID)
        }
    }

    static func at(_ i: Int) -> Date { Self.t0.addingTimeInterval(Double(i) * 10) }

    static func check(_ source: LedgerReportSource, runID: String) async throws {
        let report = try await source.report(ReportQuery(runID: runID))
        #expect(report.problems.map { "\($0.field): \($0.shape)" } == [Self.a, Self.b, Self.c])
        let a = report.problems[0], b = report.problems[1], c = report.problems[2]
        #expect(a.comparisons == 5 && b.comparisons == 4 && c.comparisons == 2 && c.occurrences == 3)
        // Seen with v1 and v2: both, most recent first, with the comparisons each answered (A's unversioned
        // comparison is in no version).
        #expect(a.versions == [
            CandidateVersionCount(version: "v2", comparisons: 2, lastSeen: Self.at(3)),
            CandidateVersionCount(version: "v1", comparisons: 2, lastSeen: Self.at(1)),
        ])
        #expect(b.versions == [
            CandidateVersionCount(version: "v2", comparisons: 3, lastSeen: Self.at(4)),
            CandidateVersionCount(version: "v1", comparisons: 1, lastSeen: Self.at(0)),
        ])
        // Seen only with v2: only v2, each comparison once however many rows it has.
        #expect(c.versions == [CandidateVersionCount(version: "v2", comparisons: 2, lastSeen: Self.at(6))])
        #expect(report.problems.allSatisfy { $0.moreVersions == 0 })

        // Sets: A+B 3, A alone 2 (one unversioned), C alone 2, B alone 1; of the 8 comparisons with a problem.
        let sets = Dictionary(uniqueKeysWithValues: report.signatureSets.map { ($0.labels, $0) })
        #expect(sets.count == 4)
        #expect(sets[[Self.a, Self.b]]?.comparisons == 3)
        #expect(sets[[Self.a]]?.comparisons == 2)
        #expect(sets[[Self.c]]?.comparisons == 2)
        #expect(sets[[Self.b]]?.comparisons == 1)
        #expect(sets[[Self.a, Self.b]]?.share == 3.0 / 8)
        #expect(sets[[Self.a, Self.b]]?.signatures == [a.id, b.id])
        #expect(report.signatureSets.first?.labels == [Self.a, Self.b], "most comparisons first")
        #expect(report.signatureSets.allSatisfy { $0.route == Self.route })
        #expect(report.signatureSetsOmitted == 0)

        // One comparison (`/api/v1/comparisons/{id}`, the UI's comparison view) names the build that answered it.
        let latestOfC = try #require(c.exampleComparisonIds.first)
        #expect(try await source.comparison(id: latestOfC)?.candidateVersion == "v2")
        let unversioned = try #require(a.exampleComparisonIds.first, "A's newest comparison is the unversioned one")
        #expect(try await source.comparison(id: unversioned)?.candidateVersion == nil)
    }

    @Test func versionsAndSetsOnSQLite() async throws {
        try await Self.withSQLite { source, runID in try await Self.check(source, runID: runID) }
    }

    @Test(.enabled(if: ReviewFixture.postgresURL != nil)) func versionsAndSetsOnPostgres() async throws {
        try await Self.withSeeded(url: ReviewFixture.postgresURL!) { source, runID in try await Self.check(source, runID: runID) }
    }

    static func withSQLite(_ body: @Sendable (LedgerReportSource, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-versions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.withSeeded(url: LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("ledger.sqlite").path)), body)
    }

    @Test func everyFormatShowsVersionsAndSets() async throws {
        try await Self.withSQLite { source, runID in
            let report = try await source.report(ReportQuery(runID: runID))
            let table = TableRenderer(color: false).render(report)
            let markdown = MarkdownRenderer().render(report)
            let html = HTMLReportRenderer().render(report, comparisons: [:])
            for (name, text) in [("table", table), ("markdown", markdown), ("html", html)] {
                #expect(text.contains("v2 ×2, v1 ×2"), "\(name): A's versions")
                #expect(text.contains("v2 ×3, v1 ×1"), "\(name): B's versions")
                #expect(text.contains("Problems that come together"), "\(name)")
            }
            #expect(table.contains("$.score: int changed + $.title: string: case changed"))
            #expect(markdown.contains("| `GET /api/v1/items/{id}` | `$.score: int changed` + `$.title: string: case changed` | 3 | 37.50% |"))
            #expect(html.contains("<code>$.score: int changed</code> + <code>$.title: string: case changed</code></td><td class=\"n\">3</td>"))

            let json = try ReportJSON.render(report)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let problems = try #require(object["problems"] as? [[String: Any]])
            let versions = try #require(problems.first?["versions"] as? [[String: Any]])
            #expect(versions.map { $0["version"] as? String } == ["v2", "v1"])
            #expect(versions.first?["last_seen"] as? String == "2026-11-21T08:00:30.000Z")
            let sets = try #require(object["signature_sets"] as? [[String: Any]])
            #expect(sets.first?["comparisons"] as? Int == 3)
            #expect(sets.first?["labels"] as? [String] == [Self.a, Self.b])
            #expect(object["signature_sets_omitted"] as? Int == 0)
            let decoded = try ReportJSON.decoder().decode(Report.self, from: Data(json.utf8))
            #expect(decoded.problems == report.problems && decoded.signatureSets == report.signatureSets)

            // The verdict names the versions of what blocks the route.
            let verdict = VerdictAssembler.assemble(report, policy: CutoverPolicy())
            #expect(try VerdictFormat.table.render(verdict, color: false).contains("candidate v2 ×2, v1 ×2"))
            let verdictJSON = try #require(try JSONSerialization.jsonObject(with: Data(try VerdictFormat.json.render(verdict, color: false).utf8)) as? [String: Any])
            let blocking = try #require((verdictJSON["routes"] as? [[String: Any]])?.first?["problems"] as? [[String: Any]])
            #expect((blocking.first?["versions"] as? [[String: Any]])?.count == 2)
        }
    }

    /// The problems the UI's view reads (`/api/v1/report`) carry their versions.
    @Test func apiProblemsCarryVersions() async throws {
        let http = ReviewAPITests()
        try await http.withServer { base, _ in
            let (status, text) = try await http.call(base + "/api/v1/report")
            #expect(status == 200)
            let report = try http.json(text)
            let problems = try #require(report["problems"] as? [[String: Any]])
            let score = try #require(problems.first { $0["field"] as? String == "$.score" })
            let versions = try #require(score["versions"] as? [[String: Any]])
            #expect(versions.map { $0["version"] as? String } == ["2.4.1", "2.4.0"])
            #expect(versions.map { $0["comparisons"] as? Int } == [2, 1])
            #expect(score["more_versions"] as? Int == 0)
            let requestID = try #require(problems.first { $0["field"] as? String == "$.request_id" })
            #expect((requestID["versions"] as? [Any])?.isEmpty == true)
            #expect((report["signature_sets"] as? [[String: Any]])?.isEmpty == false)
        }
    }

    /// Pure: at most five versions are listed, the rest counted; sets beyond ten are counted, not listed.
    @Test func versionsAndSetsAreBounded() {
        var rows: [RegressionRow] = []
        for i in 0..<7 {
            rows.append(RegressionRow(comparisonId: "c\(i)", recordedAt: Self.at(i), route: "GET /x", field: "$.a", kind: "value_changed",
                                      legacyValue: "1", candidateValue: "2", candidateVersion: "v\(i)"))
        }
        // 12 more comparisons, each with its own problem and $.a: 12 sets of two, one comparison each.
        for i in 0..<12 {
            for field in ["$.a", "$.f\(i)"] {
                rows.append(RegressionRow(comparisonId: "d\(i)", recordedAt: Self.at(10 + i), route: "GET /x", field: field, kind: "value_changed",
                                          legacyValue: "1", candidateValue: "2", candidateVersion: nil))
            }
        }
        let grouping = SignatureGrouper.grouping(Array(rows.reversed()), compared: ["GET /x": 100])
        let a = grouping.problems[0]
        #expect(a.field == "$.a" && a.comparisons == 19)
        #expect(a.versions.map(\.version) == ["v6", "v5", "v4", "v3", "v2"])
        #expect(a.moreVersions == 2)
        // $.a alone: 7 comparisons; then 12 sets of one comparison, 9 of them listed.
        #expect(grouping.sets.count == SignatureSet.maximumListed)
        #expect(grouping.sets.first?.labels == ["$.a: int changed"] && grouping.sets.first?.comparisons == 7)
        #expect(grouping.setsOmitted == 3)
        #expect(grouping.sets.reduce(0) { $0 + $1.comparisons } + grouping.setsOmitted == 19)
    }
}
