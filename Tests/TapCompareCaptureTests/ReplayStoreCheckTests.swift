import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SQLiteNIO
import TapCompareApp
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareRules
import TapCompareStoreChecks
import TapCompareTestSupport
import Testing

/// `replay --config` in CI: a captured write replayed against live legacy and a candidate build, and the stores
/// each wrote compared; a store bug behind a correct answer fails the run.
@Suite("Replay with store checks", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ReplayStoreCheckTests {
    /// A comment service writing its record to its own SQLite file; `trims` plants the candidate's bug.
    final class Service: Sendable {
        let path: String
        let database: SQLiteConnection
        let nextID: NIOLockedValueBox<Int>
        let trims: Bool

        init(path: String, firstID: Int, trims: Bool) async throws {
            self.path = path
            self.database = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await self.database.query("CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", [])
            self.nextID = NIOLockedValueBox(firstID)
            self.trims = trims
        }

        func handle(_ request: RecordedRequest) async -> ScriptedResponse {
            let text = ((try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any])?["body"] as? String ?? ""
            let id = self.nextID.withLockedValue { id in defer { id += 1 }; return id }
            _ = try? await self.database.query(
                "INSERT INTO comments (id, body) VALUES (?, ?)", [.integer(id), .text(self.trims ? text.trimmingCharacters(in: .whitespaces) : text)]
            )
            return ScriptedResponse(status: 201, reason: "Created", headers: [("Content-Type", "application/json")], body: #"{"id":\#(id)}"#)
        }
    }

    @Test("a store bug behind a correct write answer fails the replay, found at its store and field")
    func storeBugFailsTheRun() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let legacyService = try await Service(path: dir.appendingPathComponent("legacy.sqlite").path, firstID: 100, trims: false)
        let candidateService = try await Service(path: dir.appendingPathComponent("sister.sqlite").path, firstID: 900, trims: true)
        let legacy = try await ScriptedUpstream { _ in .work { await legacyService.handle($0) } }
        let candidate = try await ScriptedUpstream { _ in .work { await candidateService.handle($0) } }

        // The capture: two writes, one whose body has trailing spaces (the candidate's sister store trims it).
        let captures = dir.appendingPathComponent("writes.jsonl").path
        var records: [CaptureRecord] = []
        for (n, text) in ["clean", "padded  "].enumerated() {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            let body = ByteBuffer(string: #"{"body":"\#(text)"}"#)
            let exchange = Exchange(
                requestID: "write-\(n)", route: "POST /api/v1/comments",
                request: RequestSnapshot(method: .POST, uri: "/api/v1/comments", headers: headers, body: body),
                legacy: ResponseSnapshot(status: .created, headers: headers, body: ByteBuffer(string: #"{"id":1}"#)),
                legacyLatency: .milliseconds(1), candidate: .skipped(.notSampled)
            )
            records.append(CaptureRecord(exchange))
        }
        try CaptureFile.write(records, path: captures)

        let rules = dir.appendingPathComponent("rules").path
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        try "rules:\n  - route: POST /api/v1/comments\n    ignore: [$.id]\n  - store: comments_db\n    ignore: [$.id]\n"
            .write(toFile: rules + "/rules.yml", atomically: true, encoding: .utf8)
        let comparator = Comparator(ruleSet: try RuleSetLoader.load(directory: rules))
        let storeChecks = try StoreCheckService(
            configuration: StoreChecksConfiguration(
                stores: ["comments_db": StoreDefinition(name: "comments_db", kind: .sqlite, legacy: legacyService.path, candidate: candidateService.path)],
                checks: ["POST /api/v1/comments": [
                    StoreCheck(store: "comments_db", read: .query(try SelectStatement(validating: "SELECT * FROM comments WHERE id = ?"), params: [try ValueSource(parsing: "$.id")])),
                ]]
            ),
            logger: Logger(label: "test")
        )
        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: candidate.url, flag: "--candidate"),
            legacy: try ReplayTarget(parsing: legacy.url, flag: "--legacy"),
            concurrency: 1, includeWrites: true, runID: "stores-1"
        ).withTestTimeouts()
        let sink = RecordingRecordSink()
        // As `replay --config` does: the service runs beside the replay (and closes its connections after it).
        let result = try await withThrowingTaskGroup(of: ReplayRun.Result?.self) { group in
            group.addTask { try await storeChecks.run(); return nil }
            let result = try await ReplayRun(configuration: configuration, captures: [captures], junitPath: nil, markdownPath: nil, showProgress: false)
                .run(comparator: comparator, sink: sink, followUp: storeChecks, logger: Logger(label: "test"))
            group.cancelAll()
            try await group.waitForAll()
            return result
        }

        #expect(result.verdict.exitCode == 1, "\(result.verdict.reason)")
        let store = try #require(result.summary.routes["POST /api/v1/comments @comments_db"])
        #expect(store.total == 2 && store.matched == 1 && store.mismatched == 1)
        #expect(store.sortedFields.map { "\($0.0.field) \($0.0.kind.rawValue)" } == ["$.body value_changed"])
        #expect(result.summary.routes["POST /api/v1/comments"]?.matched == 2, "both write answers agree")
        let stored = sink.records.filter { $0.store == "comments_db" }
        #expect(stored.count == 2 && stored.allSatisfy { $0.runID == "stores-1" && $0.linkedComparisonID != nil })

        try await legacy.shutdown()
        try await candidate.shutdown()
        try await legacyService.database.close()
        try await candidateService.database.close()
    }
}

/// Keeps what the replay records, for the test to read.
final class RecordingRecordSink: ComparisonRecordSink {
    private let box = NIOLockedValueBox<[ComparisonRecord]>([])
    func record(_ record: ComparisonRecord) { self.box.withLockedValue { $0.append(record) } }
    var records: [ComparisonRecord] { self.box.withLockedValue { $0 } }
}
