import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteNIO
import TapCompareApp
import TapCompareCore
import TapCompareJSON
import TapCompareLedger
import TapCompareReview
import TapCompareStoreChecks
import TapCompareTestSupport
import Testing

/// The proxy in front of two small comment services that write to real stores, legacy to its own and the
/// candidate to its sister ones: an SQLite table (the record), memcached (the cached rendering) and a Redis stream
/// (the change-data-capture event). Planted write bugs that never show in the HTTP answer must be found at the
/// right store and field, and nothing else reported.
@Suite(
    "Store checks end to end",
    .serialized,
    .enabled(if: StoreServersAvailable.available, "TAPCOMPARE_TEST_REDIS_URL / TAPCOMPARE_TEST_MEMCACHED are not set (scripts/test.sh sets them)"),
    .timeLimit(.minutes(TestTiming.minutes(1)))
)
struct StoreCheckEndToEndTests {
    /// One comment service: assigns ids from `firstID`, writes its row, its cache entry and its event, then answers
    /// the write. `plant` may change what it stores for a request whose body names a plant.
    final class CommentService: Sendable {
        let database: SQLiteConnection
        let databasePath: String
        let redisDatabase: Int
        let stream: String
        let nextID: NIOLockedValueBox<Int>
        let candidate: Bool
        /// Where this service caches its renderings (the suite's memcached unless given).
        let memcachedPort: Int

        init(directory: String, name: String, firstID: Int, redisDatabase: Int, stream: String, candidate: Bool, memcachedPort: Int? = nil) async throws {
            self.memcachedPort = try memcachedPort ?? KeyValueSeed.memcachedPort()
            self.databasePath = directory + "/\(name).sqlite"
            self.database = try await SQLiteConnection.open(storage: .file(path: self.databasePath))
            _ = try await self.database.query(
                "CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT NOT NULL, score REAL NOT NULL, updated_at INTEGER NOT NULL DEFAULT 1)", []
            )
            self.redisDatabase = redisDatabase
            self.stream = stream
            self.nextID = NIOLockedValueBox(firstID)
            self.candidate = candidate
        }

        func handle(_ request: RecordedRequest) async -> ScriptedResponse {
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            let text = body["body"] as? String ?? ""
            let plant = body["plant"] as? String ?? ""
            let id = self.nextID.withLockedValue { id in defer { id += 1 }; return id }
            do {
                // The record: the candidate's planted bug stores the body trimmed.
                let stored = self.candidate && plant == "everything" ? text.trimmingCharacters(in: .whitespaces) : text
                _ = try await self.database.query("INSERT INTO comments (id, body, score) VALUES (?, ?, ?)", [.integer(id), .text(stored), .float(5)])
                if !self.candidate && plant == "production_write" {
                    // Production edits the same comment right after legacy's write answered: the record moves on.
                    _ = try await self.database.query("UPDATE comments SET body = 'edited by a user', updated_at = 2 WHERE id = ?", [.integer(id)])
                }
                // The cached rendering: the planted one lacks the score.
                let cached = self.candidate && plant == "everything"
                    ? #"{"id":\#(id),"body":\#(Self.quoted(text))}"#
                    : #"{"id":\#(id),"body":\#(Self.quoted(text)),"score":5}"#
                // A cache is best effort: the service answers even when its cache is down.
                try? await KeyValueSeed.memcached(set: [("comment:\(id)", cached)], port: self.memcachedPort)
                // The event: the planted one has the score as a string and the author under another key; for the
                // "no_event" plant the candidate emits none.
                if !(self.candidate && plant == "no_event") {
                    let event = self.candidate && plant == "everything"
                        ? #"{"comment_id":\#(id),"score":"5","writer":"ann"}"#
                        : #"{"comment_id":\#(id),"score":5,"author":"ann"}"#
                    try await KeyValueSeed.redis([["XADD", self.stream, "*", "data", event]], database: self.redisDatabase)
                }
            } catch {
                return ScriptedResponse(status: 500, reason: "Internal Server Error", body: "\(error)")
            }
            return ScriptedResponse(
                status: 201, reason: "Created", headers: [("Content-Type", "application/json")],
                body: #"{"id":\#(id),"body":\#(Self.quoted(text)),"updated_at":1}"#
            )
        }

        static func quoted(_ text: String) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        }
    }

    @Test("planted write bugs are found at the right store and field; clean writes report nothing")
    func plantedWriteBugs() async throws {
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = UUID().uuidString.prefix(8)
        let stream = "comment-events-\(run)"
        // Ids unique to this run: memcached is one server for both sides.
        let base = Int.random(in: 1_000_000..<900_000_000)
        let legacyService = try await CommentService(directory: directory, name: "legacy", firstID: base, redisDatabase: 1, stream: stream, candidate: false)
        let candidateService = try await CommentService(directory: directory, name: "sister", firstID: base + 50_000, redisDatabase: 2, stream: stream, candidate: true)
        let legacy = try await ScriptedUpstream { _ in .work { await legacyService.handle($0) } }
        let candidate = try await ScriptedUpstream { _ in .work { await candidateService.handle($0) } }
        let redisPort = try KeyValueSeed.redisPort()
        let memcachedPort = try KeyValueSeed.memcachedPort()

        try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, directory in
            try """
            rules:
              - route: POST /api/v1/comments
                ignore: [$.id]
              - store: [comments_db, comments_cache]
                ignore: [$.id]
              - store: comment_events
                ignore: [$.data.comment_id]
            """.write(toFile: directory + "/rules/rules.yml", atomically: true, encoding: .utf8)
            var route = ServeConfiguration.Route(template: try RouteTemplate(parsing: "POST /api/v1/comments"))
            route.mirrorWrites = true
            Self.patientUpstreams(&c)
            c.routes = [route]
            c.storeChecks.stores = [
                "comments_db": StoreDefinition(name: "comments_db", kind: .sqlite, legacy: legacyService.databasePath, candidate: candidateService.databasePath),
                "comments_cache": StoreDefinition(name: "comments_cache", kind: .memcached, legacy: "127.0.0.1:\(memcachedPort)", candidate: "127.0.0.1:\(memcachedPort)"),
                "comment_events": StoreDefinition(
                    name: "comment_events", kind: .redisStream, legacy: "redis://127.0.0.1:\(redisPort)/1", candidate: "redis://127.0.0.1:\(redisPort)/2", stream: stream
                ),
            ]
            c.storeChecks.checks["POST /api/v1/comments"] = [
                StoreCheck(store: "comments_db", read: .query(try SelectStatement(validating: "SELECT id, body, score FROM comments WHERE id = ?"), params: [try ValueSource(parsing: "$.id")])),
                StoreCheck(store: "comments_cache", read: .key(try KeyTemplate(parsing: "comment:{$.id}"))),
                StoreCheck(
                    store: "comment_events", read: .event(path: JSONPointer(tokens: ["data", "comment_id"]), equals: try ValueSource(parsing: "$.id"), within: .seconds(2)),
                    // Legacy's consumer, as a command: it needs a numeric score.
                    consumerCheck: ["sh", "-c", #"grep -q '"score":[0-9]' || { echo 'score is not a number' >&2; exit 3; }"#]
                ),
            ]
            c.storeChecks.timeout = TestTiming.scaled(.seconds(2))
        }) { serve in
            // The metrics registry is the process's: the tests of this suite count against deltas.
            let before = try await serve.metrics()
            for (plant, text) in [("everything", "hello  "), ("no_event", "second"), ("none", "third")] {
                let body = #"{"body":"\#(text)","plant":"\#(plant)"}"#
                let bytes = try await RawHTTPClient.exchange(
                    "POST /api/v1/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Request-Id: \(plant)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                    port: serve.proxyPort
                )
                #expect(RawResponse(parsing: bytes)?.status == 201, "the client gets legacy's answer")
            }
            // 3 writes, each compared over HTTP and in 3 stores.
            let rows = try await serve.waitForRows(12, timeout: .seconds(30))
            #expect(rows.count == 12)
            let stores = rows.filter { $0.route.contains(" @") }
            #expect(stores.count == 9)
            #expect(Set(stores.map(\.route)) == [
                "POST /api/v1/comments @comments_db", "POST /api/v1/comments @comments_cache", "POST /api/v1/comments @comment_events",
            ])
            #expect(rows.filter { !$0.route.contains(" @") }.allSatisfy { $0.outcome == "match" }, "the HTTP answers agree: the bugs are only in the stores")

            let found = try await Self.discrepancies(serve)
            #expect(found == [
                Finding(requestID: "everything", route: "POST /api/v1/comments @comments_db", field: "$.body", kind: "value_changed"),
                Finding(requestID: "everything", route: "POST /api/v1/comments @comments_cache", field: "$.score", kind: "missing_in_candidate"),
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$.data.score", kind: "type_changed"),
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$.data.author", kind: "missing_in_candidate"),
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$.data.writer", kind: "extra_in_candidate"),
                // Legacy's consumers cannot read the candidate's event: the shape learned from legacy's events…
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$.data.score", kind: "consumer_incompatible"),
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$.data.author", kind: "consumer_incompatible"),
                // …and the consumer's own check.
                Finding(requestID: "everything", route: "POST /api/v1/comments @comment_events", field: "$", kind: "consumer_incompatible"),
                Finding(requestID: "no_event", route: "POST /api/v1/comments @comment_events", field: "$", kind: "missing_in_candidate"),
            ])
            let said = try await LedgerReaders.withReader(url: serve.configuration.ledger.url, logger: Logger(label: "test")) { database in
                try await database.query("SELECT candidate_value FROM discrepancies WHERE kind = 'consumer_incompatible' AND field = '$'", []).map { $0.string(0) ?? "" }
            }
            #expect(said.count == 1 && said[0].contains("exit 3: score is not a number"), "the consumer's own words are the evidence: \(said)")
            let clean = stores.filter { $0.requestID == "none" }
            #expect(clean.count == 3 && clean.allSatisfy { $0.outcome == "match" }, "\(clean)")

            try await Self.checkReview(serve)

            let metrics = try await serve.metrics()
            let mismatches = ["store": "comment_events", "result": "mismatch"]
            #expect(metrics.value("tapcompare_store_checks_total", mismatches) - before.value("tapcompare_store_checks_total", mismatches) == 2)
            // Per store of this test: the registry is the process's, and the store-check unit tests running alongside
            // count read errors of their own stores (an unlabeled sum moves whenever one runs in between).
            for store in ["comments_db", "comments_cache", "comment_events"] {
                let errors = ["store": store]
                #expect(metrics.value("tapcompare_store_errors_total", errors) == before.value("tapcompare_store_errors_total", errors), "no \(store) read failed")
            }
        }
        try await legacy.shutdown()
        try await candidate.shutdown()
        try await legacyService.database.close()
        try await candidateService.database.close()
    }

    /// Both services, their upstreams and the stores they write, for tests that configure their own checks.
    struct Services {
        let legacyService: CommentService
        let candidateService: CommentService
        let legacy: ScriptedUpstream
        let candidate: ScriptedUpstream
        let stream: String

        static func start(directory: String, candidateMemcachedPort: Int? = nil) async throws -> Services {
            let stream = "comment-events-\(UUID().uuidString.prefix(8))"
            let base = Int.random(in: 1_000_000..<900_000_000)
            let legacyService = try await CommentService(directory: directory, name: "legacy", firstID: base, redisDatabase: 1, stream: stream, candidate: false)
            let candidateService = try await CommentService(
                directory: directory, name: "sister", firstID: base + 50_000, redisDatabase: 2, stream: stream, candidate: true, memcachedPort: candidateMemcachedPort
            )
            let legacy = try await ScriptedUpstream { _ in .work { await legacyService.handle($0) } }
            let candidate = try await ScriptedUpstream { _ in .work { await candidateService.handle($0) } }
            return Services(legacyService: legacyService, candidateService: candidateService, legacy: legacy, candidate: candidate, stream: stream)
        }

        func stop() async throws {
            try await self.legacy.shutdown()
            try await self.candidate.shutdown()
            try await self.legacyService.database.close()
            try await self.candidateService.database.close()
        }

        static func write(_ serve: ServeHarness, plant: String, text: String) async throws -> RawResponse? {
            let body = #"{"body":"\#(text)","plant":"\#(plant)"}"#
            let bytes = try await RawHTTPClient.exchange(
                "POST /api/v1/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Request-Id: \(plant)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                port: serve.proxyPort
            )
            return RawResponse(parsing: bytes)
        }
    }

    /// The comment services do real work per write (a database insert, a cache set, an event), which on a loaded
    /// CI machine can take longer than the harness's short upstream timeouts: those only guard against a hang here.
    static func patientUpstreams(_ c: inout ServeConfiguration) {
        c.upstream.readTimeout = TestTiming.scaled(.seconds(10))
        c.mirror.timeout = TestTiming.scaled(.seconds(10))
    }

    static func writeRoute() throws -> ServeConfiguration.Route {
        var route = ServeConfiguration.Route(template: try RouteTemplate(parsing: "POST /api/v1/comments"))
        route.mirrorWrites = true
        return route
    }

    @Test("a production write to the record between the write and the check is a race, not a regression")
    func productionWriteIsARace() async throws {
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let services = try await Services.start(directory: directory)
        try await ServeHarness.with(legacy: services.legacy, candidate: services.candidate, configure: { c, directory in
            try "rules:\n  - route: POST /api/v1/comments\n    ignore: [$.id]\n  - store: comments_db\n    ignore: [$.id]\n"
                .write(toFile: directory + "/rules/rules.yml", atomically: true, encoding: .utf8)
            Self.patientUpstreams(&c)
            c.routes = [try Self.writeRoute()]
            c.storeChecks.stores = [
                "comments_db": StoreDefinition(name: "comments_db", kind: .sqlite, legacy: services.legacyService.databasePath, candidate: services.candidateService.databasePath),
            ]
            c.storeChecks.checks["POST /api/v1/comments"] = [
                StoreCheck(
                    store: "comments_db",
                    read: .query(try SelectStatement(validating: "SELECT id, body, updated_at FROM comments WHERE id = ?"), params: [try ValueSource(parsing: "$.id")]),
                    version: JSONPointer(tokens: ["updated_at"]), versionFrom: try ValueSource(parsing: "$.updated_at")
                ),
            ]
        }) { serve in
            let before = try await serve.metrics()
            #expect(try await Services.write(serve, plant: "production_write", text: "hello")?.status == 201)
            #expect(try await Services.write(serve, plant: "none", text: "calm")?.status == 201)
            _ = try await serve.waitForRows(4, timeout: .seconds(30))
            let classified = try await LedgerReaders.withReader(url: serve.configuration.ledger.url, logger: Logger(label: "test")) { database in
                try await database.query(
                    "SELECT c.request_id, d.field, d.classification FROM discrepancies d JOIN comparisons c ON c.id = d.comparison_id WHERE c.store = 'comments_db'", []
                ).map { "\($0.string(0) ?? "") \($0.string(1) ?? "") \($0.string(2) ?? "")" }
            }
            #expect(Set(classified) == ["production_write $.body race", "production_write $.updated_at race"], "\(classified)")
            let metrics = try await serve.metrics()
            let races = ["store": "comments_db", "result": "race"]
            #expect(metrics.value("tapcompare_store_checks_total", races) - before.value("tapcompare_store_checks_total", races) == 1)
        }
        try await services.stop()
    }

    @Test("a store stopped mid-run costs only its own checks: counted by store, side and reason; the client and the other stores are unaffected")
    func storeStoppedMidRun() async throws {
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The candidate's cache is a memcached of its own, stopped after the first write.
        let kv = directory + "/kv"
        let output = try await runProcess([Paths.keyValueServersScript, "start", kv])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("TAPCOMPARE_TEST_MEMCACHED=") }) else {
            throw TestSetupError("kv-servers.sh printed no memcached address: \(output)")
        }
        let sisterCache = String(line.dropFirst("TAPCOMPARE_TEST_MEMCACHED=".count))
        let services = try await Services.start(directory: directory, candidateMemcachedPort: Int(sisterCache.split(separator: ":").last ?? ""))
        do {
            try await ServeHarness.with(legacy: services.legacy, candidate: services.candidate, configure: { c, directory in
                try "rules:\n  - route: POST /api/v1/comments\n    ignore: [$.id]\n  - store: [comments_db, comments_cache]\n    ignore: [$.id]\n"
                    .write(toFile: directory + "/rules/rules.yml", atomically: true, encoding: .utf8)
                Self.patientUpstreams(&c)
            c.routes = [try Self.writeRoute()]
                c.storeChecks.stores = [
                    "comments_db": StoreDefinition(name: "comments_db", kind: .sqlite, legacy: services.legacyService.databasePath, candidate: services.candidateService.databasePath),
                    "comments_cache": StoreDefinition(name: "comments_cache", kind: .memcached, legacy: "127.0.0.1:\(try KeyValueSeed.memcachedPort())", candidate: sisterCache),
                ]
                c.storeChecks.checks["POST /api/v1/comments"] = [
                    StoreCheck(store: "comments_db", read: .query(try SelectStatement(validating: "SELECT body FROM comments WHERE id = ?"), params: [try ValueSource(parsing: "$.id")])),
                    StoreCheck(store: "comments_cache", read: .key(try KeyTemplate(parsing: "comment:{$.id}"))),
                ]
                c.storeChecks.timeout = TestTiming.scaled(.seconds(1))
            }) { serve in
                let before = try await serve.metrics()
                #expect(try await Services.write(serve, plant: "none", text: "before")?.status == 201)
                _ = try await serve.waitForRows(3, timeout: .seconds(30))
                _ = try await runProcess([Paths.keyValueServersScript, "stop", kv])
                let response = try await Services.write(serve, plant: "none", text: "after")
                #expect(response?.status == 201, "the client's write is answered while a store is down")
                let rows = try await serve.waitForRows(6, timeout: .seconds(30))
                let cache = rows.filter { $0.route.hasSuffix("@comments_cache") }
                #expect(cache.map(\.outcome).sorted() == ["candidate_error", "match"], "\(cache)")
                #expect(rows.filter { $0.route.hasSuffix("@comments_db") }.allSatisfy { $0.outcome == "match" })
                let failure = try #require(cache.first { $0.outcome == "candidate_error" })
                #expect(failure.reason?.hasPrefix("candidate_store_error: ") == true, "\(failure)")
                let metrics = try await serve.metrics()
                let cacheErrors = ["store": "comments_cache", "side": "candidate"]
                #expect(metrics.value("tapcompare_store_errors_total", cacheErrors) - before.value("tapcompare_store_errors_total", cacheErrors) == 1)
                #expect(metrics.value("tapcompare_store_errors_total", ["store": "comments_db"]) == before.value("tapcompare_store_errors_total", ["store": "comments_db"]))
            }
        } catch {
            _ = try? await runProcess([Paths.keyValueServersScript, "stop", kv])
            try? await services.stop()
            throw error
        }
        _ = try? await runProcess([Paths.keyValueServersScript, "stop", kv])
        try await services.stop()
    }

    struct Finding: Hashable, CustomStringConvertible {
        var requestID: String
        var route: String
        var field: String
        var kind: String
        var description: String { "\(requestID) \(route) \(field) \(kind)" }
    }

    /// What a reviewer sees of these rows: the write matrix per store, the HTTP route alone in the route figures,
    /// and the write linked to its three store checks.
    static func checkReview(_ serve: ServeHarness) async throws {
        let url = serve.configuration.ledger.url
        try await LedgerReaders.withReader(url: url, logger: Logger(label: "test")) { database in
            let source = LedgerReportSource(reader: database, ledgerDescription: url.description)
            let report = try await source.report(ReportQuery())
            #expect(report.routes.map(\.route) == ["POST /api/v1/comments"])
            #expect(report.overview.compared == 3 && report.overview.regressed == 0)
            #expect(report.storeChecks.map(\.writeRoute) == ["POST /api/v1/comments"])
            let matrix = report.storeChecks.first?.stores.map { [$0.store: [$0.compared, $0.matched, $0.regressions, $0.races, $0.noise, $0.missing, $0.errors, $0.skipped]] }
            #expect(matrix == [
                ["comment_events": [3, 1, 2, 0, 0, 1, 0, 0]],
                ["comments_cache": [3, 2, 1, 0, 0, 0, 0, 0]],
                ["comments_db": [3, 2, 1, 0, 0, 0, 0, 0]],
            ])
            #expect(report.storeChecks.first?.stores.first { $0.store == "comments_db" }?.fields.map(\.field) == ["$.body"])
            let ids = try await database.query("SELECT id FROM comparisons WHERE request_id = 'everything' AND store IS NULL", [])
            let writeID = try #require(ids.first?.string(0))
            let detail = try #require(try await source.comparison(id: writeID))
            #expect(detail.storeChecks.map(\.store) == ["comment_events", "comments_cache", "comments_db"])
            let checkID = try #require(detail.storeChecks.first?.id)
            let check = try #require(try await source.comparison(id: checkID))
            #expect(check.linkedComparisonId == writeID.lowercased() && check.store == "comment_events")
        }
    }

    static func discrepancies(_ serve: ServeHarness) async throws -> Set<Finding> {
        try await LedgerReaders.withReader(url: serve.configuration.ledger.url, logger: Logger(label: "test")) { database in
            try await database.query(
                "SELECT c.request_id, c.route, d.field, d.kind FROM discrepancies d JOIN comparisons c ON c.id = d.comparison_id",
                []
            ).reduce(into: Set<Finding>()) { set, row in
                set.insert(Finding(requestID: row.string(0) ?? "", route: row.string(1) ?? "", field: row.string(2) ?? "", kind: row.string(3) ?? ""))
            }
        }
    }
}

/// Whether the Redis and memcached test servers are expected: where `scripts/test.sh` started them, and always
/// under `CI` (so CI can never pass by skipping).
enum StoreServersAvailable {
    static var available: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["TAPCOMPARE_TEST_REDIS_URL"] != nil || !(environment["CI"] ?? "").isEmpty
    }
}
