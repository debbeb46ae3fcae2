import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import TapCompareTestSupport
import Testing
import TapCompareLedger
import TapCompareReview
@testable import TapCompareApp

@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct AdminServerTests {
    /// Runs an admin server on a free loopback port for the duration of `body`.
    func withAdmin(
        token: String? = nil,
        readiness: Readiness = Readiness(),
        routes: [AdminServer.RouteInstaller] = [],
        publicPaths: Set<String> = [],
        _ body: @Sendable (_ base: String) async throws -> Void
    ) async throws {
        let admin = AdminServer(
            configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token),
            registry: MetricsBootstrap.registry,
            readiness: readiness,
            routes: routes,
            publicPaths: publicPaths,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [admin], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("the admin server bound its port") { admin.port != nil }
            try await body("http://127.0.0.1:\(admin.port!)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func get(_ url: String, headers: [(String, String)] = [], post body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        for (n, v) in headers { request.headers.add(name: n, value: v) }
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: TestTiming.scaled(.seconds(10)))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func healthReadinessAndMetrics() async throws {
        let readiness = Readiness()
        readiness.register("proxy")
        readiness.register("ledger")
        let registry = MetricsBootstrap.registry  // bootstrap before the first metric is made
        _ = registry
        Counter(label: "tapcompare_admin_test_total", dimensions: [("route", "GET /x/{id}")]).increment(by: 3)
        try await self.withAdmin(readiness: readiness) { (base: String) async throws in
            #expect(try await self.get(base + "/healthz") == (200, "ok\n"))
            let (notReady, why) = try await self.get(base + "/readyz")
            #expect(notReady == 503)
            #expect(why == "not ready: ledger, proxy\n")
            readiness.set("proxy", ready: true)
            readiness.set("ledger", ready: true)
            #expect(try await self.get(base + "/readyz").0 == 200)
            let (status, metrics) = try await self.get(base + "/metrics")
            #expect(status == 200)
            #expect(metrics.contains(#"tapcompare_admin_test_total{route="GET /x/{id}"} 3"#))
        }
    }

    @Test func aTokenGuardsEverythingButTheProbes() async throws {
        try await self.withAdmin(token: "s3cret") { (base: String) async throws in
            #expect(try await self.get(base + "/healthz").0 == 200)
            #expect(try await self.get(base + "/metrics").0 == 401)
            #expect(try await self.get(base + "/metrics", headers: [("Authorization", "Bearer wrong")]).0 == 401)
            #expect(try await self.get(base + "/metrics", headers: [("Authorization", "Bearer s3cret")]).0 == 200)
        }
    }

    @Test func aPublicListenerWithoutATokenIsRefused() throws {
        let configuration = AdminServer.Configuration(listen: ListenAddress(host: "0.0.0.0", port: 9090))
        #expect(throws: ConfigurationError.self) { try configuration.validate(file: "tap.yml") }
        try AdminServer.Configuration(listen: .init(host: "127.0.0.1", port: 1)).validate(file: "x")
    }

    /// `127.corp.example` is a host name (it may resolve to a public interface), not a loopback address.
    @Test func aLoopbackLookingHostNameNeedsAToken() throws {
        for host in ["127.corp.example", "127.0.0.1.nip.io", "127.1"] {
            #expect(!ListenAddress(host: host, port: 9090).isLoopback, "\(host)")
            #expect(throws: ConfigurationError.self) { try AdminServer.Configuration(listen: .init(host: host, port: 9090)).validate(file: "tap.yml") }
            try AdminServer.Configuration(listen: .init(host: host, port: 9090), token: "t").validate(file: "tap.yml")
        }
        for host in ["127.0.0.1", "127.9.9.9", "::1", "localhost"] {
            #expect(ListenAddress(host: host, port: 9090).isLoopback, "\(host)")
        }
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationOverrides().apply(
                to: ConfigurationLoader.load(yaml: "legacy: http://127.0.0.1:8000\nadmin:\n  listen: 127.corp.example:9090\n", file: "tap.yml"), file: "tap.yml"
            )
        }
        #expect(error?.description.contains("admin.token") == true)
    }

    /// Without a token the admin listener only answers requests addressed to it, and refuses cross-site writes.
    @Test func withoutATokenAForeignHostAndACrossSitePostAreRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("ledger.sqlite").path))
        let logger = Logger(label: "test")
        try await LedgerStores.withStore(url: url, logger: logger) { store in _ = try await store.migrate() }
        try await LedgerReaders.withReader(url: url, logger: logger) { database in
            let review = ReviewRoutes(source: LedgerReportSource(reader: database, ledgerDescription: url.description))
            try await self.withAdmin(routes: [review.installer], publicPaths: ReviewRoutes.publicPaths) { (base: String) async throws in
                let port = Int(base.split(separator: ":").last!)!
                func raw(_ text: String) async throws -> Int {
                    try #require(RawResponse(parsing: try await RawHTTPClient.exchange(text, port: port))).status
                }
                let mark = #"{"route": "GET /x", "field": "$.a", "classification": "noise"}"#
                let crossSite = "POST /api/v1/annotations HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://attacker.example\r\nContent-Type: text/plain\r\nContent-Length: \(mark.utf8.count)\r\nConnection: close\r\n\r\n\(mark)"
                #expect(try await raw(crossSite) == 403)
                #expect(try await raw("GET /api/v1/annotations HTTP/1.1\r\nHost: attacker.example:\(port)\r\nConnection: close\r\n\r\n") == 421)
                #expect(try await raw("GET /metrics HTTP/1.1\r\nHost: attacker.example:\(port)\r\nConnection: close\r\n\r\n") == 421)
                #expect(try await raw("GET /healthz HTTP/1.1\r\nHost: attacker.example:\(port)\r\nConnection: close\r\n\r\n") == 200, "probes stay open")
                let (listed, list) = try await self.get(base + "/api/v1/annotations")
                #expect(listed == 200)
                #expect(list.contains(#""annotations":[]"#))
                #expect(try await self.get(base + "/api/v1/annotations", post: mark).0 == 201)
            }
        }
    }

    /// The review UI as `serve` mounts it, behind a token: the static shell loads without it (it holds no data and
    /// asks for the token), every API call needs it, and an annotation posted without it is not stored.
    @Test func theReviewAPINeedsTheTokenAndTheUIShellDoesNot() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("ledger.sqlite").path))
        let logger = Logger(label: "test")
        try await LedgerStores.withStore(url: url, logger: logger) { store in _ = try await store.migrate() }
        try await LedgerReaders.withReader(url: url, logger: logger) { database in
            let review = ReviewRoutes(source: LedgerReportSource(reader: database, ledgerDescription: url.description))
            try await self.withAdmin(token: "s3cret", routes: [review.installer], publicPaths: ReviewRoutes.publicPaths) { (base: String) async throws in
                let bearer = [("Authorization", "Bearer s3cret")]
                let (shellStatus, shell) = try await self.get(base + "/ui")
                #expect(shellStatus == 200)
                #expect(shell.contains("<script src=\"/ui/app.js\" defer></script>"))
                #expect(try await self.get(base + "/ui/app.js").0 == 200)
                #expect(try await self.get(base + "/ui/app.css").0 == 200)
                #expect(try await self.get(base + "/metrics").0 == 401)

                #expect(try await self.get(base + "/api/v1/overview").0 == 401)
                #expect(try await self.get(base + "/api/v1/overview", headers: [("Authorization", "Bearer s3cre")]).0 == 401)
                let (overviewStatus, overview) = try await self.get(base + "/api/v1/overview?since=all", headers: bearer)
                #expect(overviewStatus == 200)
                #expect(overview.contains(#""compared":0"#))

                let mark = #"{"route": "GET /api/v1/posts/{id}/comments", "field": "$.request_id", "classification": "noise"}"#
                #expect(try await self.get(base + "/api/v1/annotations", post: mark).0 == 401)
                #expect(try await self.get(base + "/api/v1/annotations").0 == 401)
                let (created, stored) = try await self.get(base + "/api/v1/annotations", headers: bearer, post: mark)
                #expect(created == 201)
                #expect(stored.contains(#""field":"$.request_id""#))
                let (listed, list) = try await self.get(base + "/api/v1/annotations", headers: bearer)
                #expect(listed == 200)
                #expect(list.components(separatedBy: #""field":"$.request_id""#).count == 2)  // one: the refused POST stored nothing
            }
        }
    }
}
