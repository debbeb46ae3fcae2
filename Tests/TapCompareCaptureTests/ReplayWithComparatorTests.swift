import Foundation
import Logging
import Synchronization
import TapCompareApp
import TapCompareCapture
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// Sends records to every sink it holds.
struct TeeSink: ComparisonRecordSink {
    let sinks: [any ComparisonRecordSink]
    func record(_ record: ComparisonRecord) { for s in self.sinks { s.record(record) } }
}

/// Replay end to end with the real diff engine, the example `diff-rules/` and the embedded SQLite ledger.
@Suite struct ReplayWithComparatorTests {
    static let fixture = TestPaths.fixture("comments.capture.jsonl")
    static let rules = TestPaths.repositoryRoot.appendingPathComponent("diff-rules").path

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func findsTheCandidatesRegressionsAndRecordsTheRunInTheLedger() async throws {
        let records = try CaptureFile.read(path: Self.fixture)
        let dir = try TestPaths.temporaryDirectory()
        let ledger = "sqlite:" + dir.appendingPathComponent("ledger.sqlite").path
        let spool = dir.appendingPathComponent("spool").path
        let comparator = try ReplayComparators.make(rulesDirectory: Self.rules)
        let recorder = RecordingSink()
        let logger = Logger(label: "test")

        let (againstCandidate, againstLegacy) = try await DemoServers.withRunning(
            store: try DemoFixtureStore(records: records), latency: DemoLatency(scale: 0)
        ) { endpoints in
            func run(_ url: String, runID: String) async throws -> ReplayRun.Result {
                let configuration = ReplayConfiguration(candidate: try ReplayTarget(parsing: url, flag: "--candidate"), concurrency: 8, runID: runID).withTestTimeouts()
                let run = ReplayRun(configuration: configuration, captures: [Self.fixture], showProgress: false)
                return try await ReplayLedger.withSink(url: ledger, spoolDirectory: spool, logger: logger) { writer, isBusy in
                    try await run.run(comparator: comparator, sink: TeeSink(sinks: [writer, recorder]), sinkIsBusy: isBusy, logger: logger)
                }
            }
            return (try await run(endpoints.candidate, runID: "run-candidate"), try await run(endpoints.legacy, runID: "run-legacy"))
        }

        // Against itself, legacy matches once the rules apply: nothing is invented.
        #expect(againstLegacy.verdict.exitCode == 0, "\(againstLegacy.verdict.reason)")
        #expect(againstLegacy.summary.mismatched == 0)

        // Against the candidate, each regression is found on its route, named by field.
        #expect(againstCandidate.verdict.exitCode == 1)
        let routes = againstCandidate.summary.routes
        let listing = try #require(routes["GET /api/v1/posts/{id}/comments"])
        #expect(listing.fields.keys.contains { $0.field.hasSuffix(".score") && $0.kind == .typeChanged })
        let replies = try #require(routes["GET /api/v1/comments/{id}/replies"])
        #expect(replies.fields.keys.contains { $0.field == "$.replies[*].reply_count" && $0.kind == .missingInCandidate })
        let single = try #require(routes["GET /api/v1/comments/{id}"])
        #expect(single.mismatched > 0)
        // Timestamps in `Z` instead of `+00:00` are the same instants: the rules normalize them in listings.
        #expect(!listing.fields.keys.contains { $0.field.hasSuffix("created_at") || $0.field.hasSuffix("updated_at") })

        // Every comparison is in the ledger with its run id.
        let first = recorder.all.first { $0.runID == "run-candidate" && $0.outcome == .mismatch }!
        let counts = try await LedgerStores.withStore(url: try LedgerURL(parsing: ledger), logger: logger) { try await $0.counts() }
        let sample = try await LedgerReaders.withReader(url: try LedgerURL(parsing: ledger), logger: logger) { try await $0.comparison(id: first.id) }
        #expect(counts.comparisons == 2 * records.count)
        #expect(sample?.runID == "run-candidate")
        #expect(sample?.discrepancyCount ?? 0 > 0)
    }

    /// `replay --version-header X-Version` records the candidate build that answered with each comparison, as
    /// `serve` does, through the ledger writer into the ledger.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func recordsTheCandidatesVersionHeaderInTheLedger() async throws {
        let records = try CaptureFile.read(path: Self.fixture).filter { $0.request.method == "GET" }.prefix(5)
        let capture = try TestPaths.temporaryDirectory()
        let capturePath = capture.appendingPathComponent("five.jsonl").path
        try CaptureFile.write(Array(records), path: capturePath)
        let candidate = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json"), ("X-Version", "3.1.0-rc1")], body: #"{"replaced":true}"#))
        }
        let ledger = "sqlite:" + capture.appendingPathComponent("ledger.sqlite").path
        let recorder = RecordingSink()
        let logger = Logger(label: "test")
        let comparator = try ReplayComparators.make(rulesDirectory: nil, versionHeader: "X-Version")
        let configuration = ReplayConfiguration(candidate: try ReplayTarget(parsing: candidate.url, flag: "--candidate"), concurrency: 2, runID: "run-versions").withTestTimeouts()
        let run = ReplayRun(configuration: configuration, captures: [capturePath], showProgress: false)
        let result = try await ReplayLedger.withSink(url: ledger, spoolDirectory: capture.appendingPathComponent("spool").path, logger: logger) { writer, isBusy in
            try await run.run(comparator: comparator, sink: TeeSink(sinks: [writer, recorder]), sinkIsBusy: isBusy, logger: logger)
        }
        try await candidate.shutdown()
        #expect(result.summary.total == records.count)
        #expect(recorder.all.count == records.count)
        #expect(recorder.all.allSatisfy { $0.candidateVersion == CandidateVersion(header: "X-Version", value: "3.1.0-rc1") })
        let stored = try await LedgerReaders.withReader(url: try LedgerURL(parsing: ledger), logger: logger) { reader in
            var versions: [String?] = []
            for record in recorder.all { versions.append(try await reader.comparison(id: record.id)?.candidateVersion) }
            return versions
        }
        #expect(stored == Array(repeating: "3.1.0-rc1", count: records.count))
    }
}
