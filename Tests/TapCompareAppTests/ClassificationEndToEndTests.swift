import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOConcurrencyHelpers
import Testing
import TapCompareComparison
import TapCompareJSON
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareRules
import TapCompareTestSupport

/// Records what the comparison stage hands to the ledger.
final class RecordingRecordSink: ComparisonRecordSink {
    private let records = NIOLockedValueBox<[ComparisonRecord]>([])
    func record(_ record: ComparisonRecord) { self.records.withLockedValue { $0.append(record) } }
    var recorded: [ComparisonRecord] { self.records.withLockedValue { $0 } }

    func waitFor(count: Int, timeout: Duration = .seconds(20)) async -> [ComparisonRecord] {
        _ = await pollUntil(timeout: timeout, poll: .milliseconds(20)) { self.recorded.count >= count }
        return self.recorded
    }
}

/// A tiny comment service: the same program runs as legacy and as candidate, with the knobs a test turns.
final class CommentService: Sendable {
    struct Options: Sendable {
        /// Comment whose score this instance reports one higher (a planted regression).
        var plantedScoreChange: Int?
        /// Store created bodies upper-cased while answering the write with the body as sent.
        var storesBodyUpperCased = false
    }

    struct Comment: Sendable {
        var body: String
        var revision: Int
    }

    /// A datastore; legacy and candidate share one when they read the same data (the race case).
    final class Store: Sendable {
        let comments = NIOLockedValueBox<[Int: Comment]>((1...10).reduce(into: [:]) { $0[$1] = Comment(body: "comment \($1)", revision: 1) })
        let nextID = NIOLockedValueBox(11)
    }

    let options: Options
    let store: Store

    /// A concurrent writer: edits every comment, as users editing while the proxy reads.
    func editAll() {
        self.store.comments.withLockedValue { comments in
            for (id, var c) in comments {
                c.revision += 1
                c.body = "comment \(id) edit \(c.revision)"
                comments[id] = c
            }
        }
    }

    init(options: Options = .init(), store: Store = Store()) {
        self.options = options
        self.store = store
    }

    func behave(_ head: HTTPRequestHead) -> UpstreamBehavior {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        let parts = path.split(separator: "/")
        // Genuinely non-deterministic fields on every answer: a random request id and a nanosecond clock.
        let noise = #""request_id":"\#(UUID().uuidString)","served_at":\#(DispatchTime.now().uptimeNanoseconds)"#
        if head.method == .GET, parts.count == 4, let id = Int(parts[3]) {
            let comment: Comment? = self.store.comments.withLockedValue { $0[id] }
            guard let comment else { return .respond(ScriptedResponse(status: 404, reason: "Not Found", body: #"{"error":"not found"}"#)) }
            let score = id * 10 + (self.options.plantedScoreChange == id ? 1 : 0)
            let body = #"{"id":\#(id),"body":"\#(comment.body)","score":\#(score),\#(noise)}"#
            return .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: body))
        }
        if head.method == .POST, parts.count == 3 {
            let text = head.uri.split(separator: "body=").last.map(String.init) ?? ""
            let id = self.store.nextID.withLockedValue { n in defer { n += 1 }; return n }
            self.store.comments.withLockedValue { $0[id] = Comment(body: self.options.storesBodyUpperCased ? text.uppercased() : text, revision: 1) }
            let body = #"{"id":\#(id),"body":"\#(text)"}"#
            return .respond(ScriptedResponse(status: 201, reason: "Created", headers: [("Content-Type", "application/json")], body: body))
        }
        return .respond(ScriptedResponse(status: 404, reason: "Not Found", body: "{}"))
    }
}

@Suite(.timeLimit(.minutes(TestTiming.minutes(2)))) struct ClassificationEndToEndTests {
    /// Proxy → comparison stage → classification service → recorder, with real upstreams and real probes.
    func withPipeline(
        legacy: ScriptedUpstream,
        candidate: ScriptedUpstream,
        classification: ClassificationConfiguration,
        replayLegacy: Bool,
        routes: [RouteTable<RoutePolicy>.Entry] = [],
        _ body: (_ send: @Sendable (HTTPMethod, String) async throws -> Void, _ sink: RecordingRecordSink) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup.singleton
        let legacyURL = try UpstreamURL(parsing: legacy.url)
        let candidateURL = try UpstreamURL(parsing: candidate.url)
        // Every timeout here only guards against a hang: the defaults, scaled for slow builds.
        let connectTimeout = TestTiming.localConnectAmount
        let callTimeout = TestTiming.scaled(TimeAmount.seconds(5))
        let legacyProbe = try HTTPUpstreamProbe(
            configuration: .init(upstream: legacyURL, connectTimeout: connectTimeout, timeout: callTimeout), eventLoopGroup: group
        )
        let candidateProbe = try HTTPUpstreamProbe(
            configuration: .init(upstream: candidateURL, connectTimeout: connectTimeout, timeout: callTimeout), eventLoopGroup: group
        )
        let sink = RecordingRecordSink()
        let service = ClassificationService(
            configuration: classification,
            baselineProbe: replayLegacy ? legacyProbe : nil,
            legacyProbe: legacyProbe,
            candidateProbe: candidateProbe,
            logger: logger
        )
        let stage = ComparisonStage(ruleSet: .empty, sink: sink, refiner: service, logger: logger)
        let proxy = ProxyServer(
            configuration: ProxyConfiguration(port: 0, legacy: legacyURL, connectTimeout: connectTimeout),
            mirror: MirrorConfiguration(
                candidate: candidateURL, sampleRate: 1, timeout: callTimeout, connectTimeout: connectTimeout,
                routes: RouteTable(entries: routes, fallback: RoutePolicy())
            ),
            eventLoopGroup: group,
            logger: logger,
            sink: stage
        )
        let client = HTTPClient(eventLoopGroup: group)
        // The clients are shut down whatever the body does: one freed unshut is a fatal error that would take the
        // whole test process (every other suite) down with a failing expectation.
        let outcome: Result<Void, any Error>
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await service.run() }
                tasks.addTask { try await stage.run() }
                tasks.addTask { try await proxy.run() }
                defer { tasks.cancelAll() }
                let port = try await proxy.boundAddress().port!
                try await body({ method, path in
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                    request.method = method
                    let response = try await client.execute(request, timeout: TestTiming.scaled(.seconds(10)))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }, sink)
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        try await legacyProbe.shutdown()
        try await candidateProbe.shutdown()
        try outcome.get()
    }

    @Test func aNoisyWorkloadYieldsNoRegressionsWhileAPlantedChangeIsStillFound() async throws {
        let legacyService = CommentService()
        let candidateService = CommentService(options: .init(plantedScoreChange: 7))
        let legacy = try await ScriptedUpstream { head in legacyService.behave(head) }
        let candidate = try await ScriptedUpstream { head in candidateService.behave(head) }
        try await self.withPipeline(legacy: legacy, candidate: candidate, classification: ClassificationConfiguration(), replayLegacy: true) { send, sink in
            for round in 0..<3 {
                for id in 1...10 where !(round > 0 && id == 7) { try await send(.GET, "/api/v1/comments/\(id)") }
            }
            let records = await sink.waitFor(count: 28)
            #expect(records.count == 28)
            let discrepancies = records.flatMap(\.discrepancies)
            // Every comparison differs in request_id and served_at, and all of that is noise.
            #expect(discrepancies.filter { $0.field == "$.request_id" }.count == 28)
            #expect(discrepancies.filter { $0.field == "$.request_id" || $0.field == "$.served_at" }.allSatisfy { $0.classification == .noise })
            let regressions = discrepancies.filter { $0.classification == .regression }
            #expect(regressions.count == 1)
            #expect(regressions.first?.path == "/score")
            #expect(regressions.first?.legacyValue == "70")
            #expect(regressions.first?.candidateValue == "71")
        }
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    @Test func aConcurrentWriterBetweenTheReadsMakesRacesNotRegressions() async throws {
        // Legacy and candidate read one datastore while a writer keeps editing the comments.
        let shared = CommentService()
        let reader = CommentService(store: shared.store)
        let legacy = try await ScriptedUpstream { head in shared.behave(head) }
        let candidate = try await ScriptedUpstream { head in reader.behave(head) }
        let configuration = ClassificationConfiguration(recheckDelay: .milliseconds(20))
        // The writer is an OS thread, not a task: a busy cooperative pool (the suite runs in parallel) must not
        // starve it, or no edit would fall between the two reads.
        let stop = NIOLockedValueBox(false)
        let writer = Thread {
            while !stop.withLockedValue({ $0 }) {
                shared.editAll()
                usleep(100)
            }
        }
        writer.start()
        defer { stop.withLockedValue { $0 = true } }
        try await self.withPipeline(legacy: legacy, candidate: candidate, classification: configuration, replayLegacy: false) { send, sink in
            for id in 1...10 { try await send(.GET, "/api/v1/comments/\(id)") }
            for id in 1...10 { try await send(.GET, "/api/v1/comments/\(id)") }
            let records = await sink.waitFor(count: 20)
            #expect(records.count == 20)
            let discrepancies = records.flatMap(\.discrepancies)
            // Whenever the edit fell between the two reads, the body differs, and legacy's re-read shows its
            // own value moved on: a race, never a regression.
            #expect(discrepancies.contains { $0.field == "$.body" })
            #expect(discrepancies.filter { $0.field == "$.body" }.allSatisfy { $0.classification == .race })
            #expect(!discrepancies.contains { $0.classification == .regression && $0.field == "$.body" })
            #expect(!discrepancies.contains { $0.field == "$.score" })
        }
        stop.withLockedValue { $0 = true }
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    @Test func writeVerificationFindsAFieldStoredWronglyBehindARightLookingWriteResponse() async throws {
        let legacyService = CommentService()
        let candidateService = CommentService(options: .init(storesBodyUpperCased: true))
        let legacy = try await ScriptedUpstream { head in legacyService.behave(head) }
        let candidate = try await ScriptedUpstream { head in candidateService.behave(head) }
        let write = try RouteTemplate(parsing: "POST /api/v1/comments")
        let configuration = ClassificationConfiguration(
            verifications: [write.name: WriteVerification(read: try RouteTemplate(parsing: "GET /api/v1/comments/{id}"), source: .responseBody(JSONPointer(tokens: ["id"])))]
        )
        let routes: [RouteTable<RoutePolicy>.Entry] = [.init(template: write, value: RoutePolicy(mirrorWrites: true))]
        try await self.withPipeline(legacy: legacy, candidate: candidate, classification: configuration, replayLegacy: false, routes: routes) { send, sink in
            try await send(.POST, "/api/v1/comments?body=hello")
            let records = await sink.waitFor(count: 2)
            let writeRecord = try #require(records.first { $0.route == "POST /api/v1/comments" })
            #expect(writeRecord.outcome == .match)  // the write's own response looked right
            let read = try #require(records.first { $0.linkedComparisonID == writeRecord.id })
            #expect(read.route == "GET /api/v1/comments/{id}")
            #expect(read.path == "/api/v1/comments/11")
            let body = try #require(read.discrepancies.first { $0.path == "/body" })
            #expect(body.legacyValue == #""hello""#)
            #expect(body.candidateValue == #""HELLO""#)
            #expect(body.classification == .regression)
        }
        try await legacy.shutdown()
        try await candidate.shutdown()
    }
}
