import AsyncHTTPClient
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Testing
@testable import TapCompareApp

@Suite(.timeLimit(.minutes(1))) struct AdminServerTests {
    /// Runs an admin server on a free loopback port for the duration of `body`.
    func withAdmin(
        token: String? = nil,
        readiness: Readiness = Readiness(),
        _ body: @Sendable (_ base: String) async throws -> Void
    ) async throws {
        let admin = AdminServer(
            configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token),
            registry: MetricsBootstrap.registry,
            readiness: readiness,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [admin], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while admin.port == nil { try await Task.sleep(for: .milliseconds(10)) }
            try await body("http://127.0.0.1:\(admin.port!)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        for (n, v) in headers { request.headers.add(name: n, value: v) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
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
}
