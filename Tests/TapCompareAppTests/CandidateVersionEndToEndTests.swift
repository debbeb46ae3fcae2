import Foundation
import NIOHTTP1
import TapCompareApp
import TapCompareLedger
import TapCompareReview
import TapCompareTestSupport
import Testing

/// `serve` with `comparison.version_header: X-Version`: the build the candidate names in that response header is
/// stored with each comparison (`comparisons.candidate_version`) and the report lists it per problem, while the
/// client still gets legacy's answer untouched.
@Suite("Candidate versions end to end", .timeLimit(.minutes(TestTiming.minutes(1))))
struct CandidateVersionEndToEndTests {
    static let legacyBody = #"{"id":1,"score":1}"#

    @Test func theCandidatesVersionHeaderLandsInTheLedgerAndTheReport() async throws {
        let legacy = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json"), ("X-Version", "legacy-1")], body: Self.legacyBody))
        }
        // The candidate regresses $.score; which build answers depends on the path, and one sends no version.
        let candidate = try await ScriptedUpstream { head in
            var headers = [("Content-Type", "application/json")]
            if head.uri.hasSuffix("/1") || head.uri.hasSuffix("/2") { headers.append(("X-Version", "2.4.0")) }
            if head.uri.hasSuffix("/3") { headers.append(("X-Version", "2.4.1é" + String(repeating: "x", count: 100))) }
            return .respond(ScriptedResponse(headers: headers, body: #"{"id":1,"score":2}"#))
        }
        let long = "2.4.1?" + String(repeating: "x", count: 58)
        try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in c.comparison.versionHeader = "X-Version" }) { serve in
            for i in 1...4 {
                let response = try #require(try await serve.get("/versions/items/\(i)", requestID: "version-\(i)"))
                #expect(response.status == 200)
                #expect(response.bodyText == Self.legacyBody)
                #expect(response.values("X-Version") == ["legacy-1"], "the client sees legacy's headers only")
            }
            _ = try await serve.waitForRows(4)
            let stored = try await LedgerReaders.withReader(url: serve.configuration.ledger.url, logger: ServeHarness.logger) { database in
                try await database.query("SELECT request_id, candidate_version FROM comparisons ORDER BY request_id", []).map { ($0.string(0) ?? "", $0.string(1)) }
            }
            #expect(stored.map(\.0) == ["version-1", "version-2", "version-3", "version-4"])
            #expect(stored.map(\.1) == ["2.4.0", "2.4.0", long, nil])

            let report = try await LedgerReaders.withReader(url: serve.configuration.ledger.url, logger: ServeHarness.logger) { database in
                try await LedgerReportSource(reader: database, ledgerDescription: "test").report(ReportQuery())
            }
            let score = try #require(report.problems.first { $0.field == "$.score" })
            #expect(score.comparisons == 4)
            #expect(Set(score.versions.map(\.version)) == ["2.4.0", long])
            #expect(score.versions.first { $0.version == "2.4.0" }?.comparisons == 2)
            #expect(report.signatureSets.map(\.comparisons) == [4])
        }
        try await legacy.shutdown()
        try await candidate.shutdown()
    }
}
