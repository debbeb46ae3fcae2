import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// gRPC calls in the review: the comparison's `grpc` object in the API, and the HTML report's sides headed
/// `gRPC 5 NOT_FOUND · HTTP 200` with each message as JSON beside its byte count, stored through the ledger's own
/// encoder (so `redact.json_paths` applied).
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct GRPCReviewTests {
    static let route = "POST /tapcompare.demo.Comments/GetComment"

    /// ``SyntheticComparisons/grpcNotFound(runID:at:)`` (`0 OK` with one 41-byte message against `5 NOT_FOUND`) as
    /// the ledger stores it with `redact.json_paths: [$.messages[*].authorEmail]`.
    static func notFoundCall(runID: String, at date: Date) throws -> LedgerComparison {
        let redactor = try Redactor(configuration: .init(jsonPaths: ["$.messages[*].authorEmail"]))
        return LedgerRecordEncoder(redactor: redactor, instance: "proxy-a", maxSampleBytes: 4096).encode(SyntheticComparisons.grpcNotFound(runID: runID, at: date))
    }

    static func insert(_ row: LedgerComparison, into url: LedgerURL) async throws {
        try await LedgerStores.withStore(url: url, logger: ReviewFixture.logger) { store in
            _ = try await store.migrate()
            try await store.insert([row])
        }
    }

    @Test("the HTML report heads each side with its gRPC and HTTP status and shows each message as JSON with its size")
    func htmlReportShowsGRPCSides() async throws {
        try await ReviewFixture.withSQLite { fixture, source, url in
            let row = try Self.notFoundCall(runID: fixture.runID, at: ReviewFixture.t0.addingTimeInterval(900))
            try await Self.insert(row, into: url)
            let report = try await source.report(ReportQuery(runID: fixture.runID))
            #expect(HTMLReportRenderer.exampleIDs(of: report).contains(row.id.uuidString.lowercased()))
            let html = try await ReportFormat.html.render(report, source: source, color: false)
            #expect(html.contains("gRPC 0 OK · HTTP 200"))
            #expect(html.contains("gRPC 5 NOT_FOUND · HTTP 200"))
            #expect(html.contains("grpc-message <code>comment 7 not found</code>"))
            #expect(html.contains("message 0 · 41 bytes"))
            #expect(html.contains("(no messages)"), "the candidate's empty stream is said, not left blank")
            #expect(html.contains("&quot;[REDACTED]&quot;") || html.contains("\"[REDACTED]\""))
            #expect(!html.contains("ada@example.com"))
        }
    }

    @Test func statusNamesFollowTheGRPCSpecification() {
        #expect(GRPCStatusName.label(0) == "0 OK")
        #expect(GRPCStatusName.label(5) == "5 NOT_FOUND")
        #expect(GRPCStatusName.label(16) == "16 UNAUTHENTICATED")
        #expect(GRPCStatusName.label(17) == "17")
        #expect(GRPCStatusName.name(of: -1) == nil)
    }

    @Test("a differing path inside a message is highlighted in that message's own view")
    func pathsMoveIntoTheirMessage() {
        let paths: Set<String> = ["/messages/0/text", "/messages/1", "/messages/10/id", "/status"]
        #expect(HTMLComponents.paths(paths, inMessage: 0) == ["/text"])
        #expect(HTMLComponents.paths(paths, inMessage: 1) == [""])
        #expect(HTMLComponents.paths(paths, inMessage: 10) == ["/id"])
    }
}

extension ReviewAPITests {
    @Test("the comparison of a gRPC call answers a grpc object: statuses with names, messages, message JSON and byte counts")
    func comparisonOfAGRPCCall() async throws {
        let row = try GRPCReviewTests.notFoundCall(runID: "grpc-api", at: ReviewFixture.t0.addingTimeInterval(900))
        try await self.withServer(prepare: { url in try await GRPCReviewTests.insert(row, into: url) }) { base, fixture in
            let (status, text) = try await self.call(base + "/api/v1/comparisons/\(row.id.uuidString.lowercased())")
            #expect(status == 200)
            let grpc = try #require(try self.json(text)["grpc"] as? [String: Any])
            let legacy = try #require(grpc["legacy"] as? [String: Any])
            let candidate = try #require(grpc["candidate"] as? [String: Any])
            #expect(legacy["status"] as? Int == 0)
            #expect(legacy["status_name"] as? String == "OK")
            #expect(candidate["status"] as? Int == 5)
            #expect(candidate["status_name"] as? String == "NOT_FOUND")
            #expect(candidate["message"] as? String == "comment 7 not found")
            #expect((candidate["messages"] as? [Any])?.isEmpty == true)
            #expect(candidate["omitted_messages"] as? Int == 0)
            let messages = try #require(legacy["messages"] as? [[String: Any]])
            #expect(messages.count == 1)
            #expect(messages.first?["bytes"] as? Int == 41)
            #expect(messages.first?["json"] as? String == #"{"id":"7","body":"Looks good to me","authorEmail":"[REDACTED]"}"#)

            // An HTTP comparison has no `grpc` object.
            let http = fixture.scoreMismatchIDs[0].uuidString.lowercased()
            #expect(try self.json(try await self.call(base + "/api/v1/comparisons/\(http)").1)["grpc"] == nil)
            // The UI draws the same sides as the report.
            let script = try await self.head(base + "/ui/app.js").2
            #expect(script.contains("if (c.grpc) return grpcSides(c, c.grpc, paths);"))
            #expect(script.contains("`gRPC ${code} · HTTP ${httpText}`"))
        }
    }
}
