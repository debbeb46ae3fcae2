import Foundation
import NIOConcurrencyHelpers
import Logging
@testable import TapCompareApp
import TapCompareCapture
import TapCompareJSON
import TapCompareLedger
import TapCompareReview
import TapCompareTestSupport
import Testing

/// `tapcompare demo` end to end: services, `serve`'s wiring, traffic, ledger.
@Suite struct DemoRunnerTests {
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func theDemoDrivesTheFixtureThroughTheProxyIntoTheLedger() async throws {
        let fixture = TestPaths.fixture("comments.capture.jsonl")
        let records = try CaptureFile.read(path: fixture)
        let dir = try TestPaths.temporaryDirectory()
        let ledger = "sqlite:" + dir.appendingPathComponent("demo.sqlite").path
        var options = DemoRunner.Options(
            fixture: fixture, ledger: ledger, rules: TestPaths.repositoryRoot.appendingPathComponent("diff-rules").path,
            latency: DemoLatency(scale: 0), capture: dir.appendingPathComponent("demo.capture.jsonl").path,
            spoolDirectory: dir.appendingPathComponent("spool").path,
            storeDirectory: dir.appendingPathComponent("stores").path
        )
        options.timeoutScale = TestTiming.scale
        let printed = RecordingOutput()
        let fixtureStore = try DemoFixtureStore(records: records)
        let runner = DemoRunner(options: options, store: fixtureStore, logger: Logger(label: "test"), output: printed.append)
        let outcome = try await runner.execute()

        // Every request went through, and the client saw legacy's statuses.
        #expect(outcome.traffic.sent == records.count)
        #expect(outcome.traffic.failures == 0, "\(outcome.traffic.failureReasons)")
        var expected: [Int: Int] = [:]
        for r in records { expected[r.legacy.status, default: 0] += 1 }
        #expect(outcome.traffic.statuses == expected)
        // Every read was mirrored and compared (sample rate 1.0); of the writes, only the comment creations.
        let reads = records.filter { $0.request.method == "GET" }.count
        let creations = records.filter { $0.route == "POST /api/v1/comments" }
        #expect(creations.count > 0)
        #expect(outcome.captured == reads + creations.count)
        #expect(outcome.summary.judged == reads + creations.count)
        #expect(outcome.summary.routes["POST /api/v1/comments"]?.mismatched == 0, "the creation answers agree: the bug is only in the store")
        #expect(outcome.summary.mismatched > 0)
        #expect(outcome.summary.routes["GET /api/v1/posts/{id}/comments"]?.mismatched ?? 0 > 0)
        // The ledger holds the comparisons.
        let counts = try await LedgerStores.withStore(url: try LedgerURL(parsing: ledger), logger: Logger(label: "test")) { store in
            try await store.counts()
        }
        #expect(counts.comparisons >= reads)
        #expect(counts.discrepancies > 0)
        #expect(printed.text.contains("TapCompare demo"))

        // The report the demo prints is the ledger's, for the demo's window.
        let (table, html, report) = try await DemoRunner.report(ledger: ledger, since: outcome.startedAt, logger: Logger(label: "test"))
        #expect(table.contains("GET /api/v1/posts/{id}/comments"))
        #expect(table.contains("type_changed"))
        #expect(html.lowercased().contains("<html"))
        // Every HTTP problem was seen with the one candidate build the demo runs (its X-Version header); store
        // checks read stores, not the candidate's answer, so theirs have none.
        let httpProblems = report.problems.filter { !$0.route.contains(" @") }
        #expect(!httpProblems.isEmpty)
        #expect(httpProblems.allSatisfy { $0.versions.map(\.version) == [DemoCommentService.candidateVersion] })
        #expect(table.contains("\(DemoCommentService.candidateVersion) ×"))

        // The store checks: every creation's record was read from both SQLite stores; the planted bug (the
        // candidate stores the body with its whitespace collapsed) is found in the comments table's body of
        // exactly the comments it changes, and nothing else differs in that store.
        #expect(!report.routes.contains { $0.route.contains(" @") }, "store checks stay out of the HTTP routes")
        #expect(report.storeChecks.map(\.writeRoute) == ["POST /api/v1/comments"])
        let stored = report.storeChecks.flatMap(\.stores)
        #expect(stored.map(\.route) == ["POST /api/v1/comments @comments_db"])
        let changed = try creations.filter { record in
            let answer = fixtureStore.entry(requestID: record.requestID, method: "POST", uri: record.request.uri)?.body ?? []
            let body = try JSONParser.parse(answer)["body"]?.stringValue ?? ""
            return DemoRegressions.storedBody(body) != body
        }.count
        #expect(changed > 0 && changed < creations.count, "the fixture has comments the bug changes and comments it does not")
        let db = try #require(stored.first)
        #expect(db.compared == creations.count)
        #expect(db.regressions == changed)
        #expect(db.matched == creations.count - changed)
        #expect(db.skipped == 0 && db.errors == 0)
        #expect(db.fields.map { "\($0.field) \($0.kind) \($0.comparisons)" } == ["$.body value_changed \(changed)"])
        let summary = DemoStoreChecks.summary(report)
        #expect(summary.contains("POST /api/v1/comments @comments_db: \(creations.count) compared, \(creations.count - changed) matched, \(changed) with regressions"))
        #expect(summary.contains("$.body value_changed"))
    }
}

/// The fixture and rules built into the binary are the repository's.
@Suite struct DemoBuiltInTests {
    @Test("the built-in fixture and example rules equal fixtures/comments.capture.jsonl and diff-rules/comments.yml")
    func builtInsMatchTheRepository() throws {
        let fixture = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("comments.capture.jsonl")))
        #expect(try DemoBuiltIns.fixtureData() == fixture, "regenerate with: gzip -9 -n -c fixtures/comments.capture.jsonl > Sources/TapCompareApp/Demo/BuiltIn/comments.capture.jsonl.gz")
        let rules = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("diff-rules/comments.yml"), encoding: .utf8)
        #expect(DemoBuiltIns.rulesText == rules, "copy diff-rules/comments.yml to Sources/TapCompareApp/Demo/BuiltIn/comments.yml")
        #expect(try DemoBuiltIns.records().count == CaptureFile.read(path: TestPaths.fixture("comments.capture.jsonl")).count)
    }
}

final class RecordingOutput: Sendable {
    private let lines = NIOLockedValueBox<String>("")
    var append: @Sendable (String) -> Void {
        { [self] text in self.lines.withLockedValue { $0 += text } }
    }
    var text: String { self.lines.withLockedValue { $0 } }
}
