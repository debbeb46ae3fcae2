import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// Who may use the review API: `tapcompare ui` without a token refuses web pages (cross-site writes, DNS
/// rebinding), with a token it is the token alone; tokens compare exactly; loopback is an address, not a prefix.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReviewAccessTests {
    /// Runs `tapcompare ui`'s server over the fixture on a free loopback port for the duration of `body`.
    func withUI(
        token: String? = nil,
        _ body: @escaping @Sendable (_ port: Int, _ source: LedgerReportSource) async throws -> Void
    ) async throws {
        try await ReviewFixture.withSQLite { _, source, _ in
            try await Self.serve(source, token: token) { port in try await body(port, source) }
        }
    }

    static func serve(_ source: LedgerReportSource, token: String? = nil, _ body: @escaping @Sendable (_ port: Int) async throws -> Void) async throws {
        let port = NIOLockedValueBoxInt()
        let server = ReviewServer(
            configuration: .init(host: "127.0.0.1", port: 0, defaultSince: "all", token: token),
            source: source, logger: Logger(label: "review-access-test"), onListening: { port.set($0) }
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "review-access-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("the review server bound its port") { port.get() != 0 }
            try await body(port.get())
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Sends one request with exactly these headers (a browser's, or an attacker's) and returns the answer.
    func send(_ port: Int, _ method: String, _ path: String, host: String? = nil, headers: [(String, String)] = [], body: String = "") async throws -> RawResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if method != "GET" { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + body
        let raw = try await RawHTTPClient.exchange(text, port: port)
        return try #require(RawResponse(parsing: raw))
    }

    static let mark = #"{"route": "GET /api/v1/comments/{id}", "field": "$.score", "classification": "noise"}"#

    func annotationCount(_ source: LedgerReportSource) async throws -> Int {
        try await source.annotations().count
    }

    @Test func aCrossSiteTextPlainPostIsRefusedAndStoresNothing() async throws {
        try await self.withUI { port, source in
            // What <form method=post enctype=text/plain action=http://127.0.0.1:PORT/api/v1/annotations> sends.
            let form = try await self.send(port, "POST", "/api/v1/annotations", headers: [
                ("Origin", "http://attacker.example"), ("Content-Type", "text/plain"), ("Sec-Fetch-Site", "cross-site"),
            ], body: Self.mark)
            #expect(form.status == 403)
            // The same without the browser's headers still is not JSON.
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [("Content-Type", "text/plain")], body: Self.mark).status == 415)
            // JSON from another origin (it would need a preflight, which is never granted, but a CORS mistake elsewhere must not matter).
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [
                ("Origin", "http://attacker.example"), ("Content-Type", "application/json"),
            ], body: Self.mark).status == 403)
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [
                ("Origin", "null"), ("Content-Type", "application/json"),
            ], body: Self.mark).status == 403)
            #expect(try await self.annotationCount(source) == 0)

            // The UI's own call (same origin, JSON) and curl's (no Origin, JSON) are served.
            let own = try await self.send(port, "POST", "/api/v1/annotations", headers: [
                ("Origin", "http://127.0.0.1:\(port)"), ("Content-Type", "application/json; charset=utf-8"), ("Sec-Fetch-Site", "same-origin"),
            ], body: Self.mark)
            #expect(own.status == 201)
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [("Content-Type", "application/json")], body: Self.mark).status == 201)
            #expect(try await self.annotationCount(source) == 2)
        }
    }

    /// The Problems view's status buttons post like "mark as noise": served from the page's own origin as JSON,
    /// refused cross-site, and a refused post changes no status.
    @Test func aCrossSiteStatusPostIsRefusedAndTheUIsOwnIsServed() async throws {
        let accept = #"{"route": "GET /api/v1/comments/{id}", "kind": "value_changed", "field": "$.score", "shape": "float changed", "status": "accepted"}"#
        try await self.withUI { port, source in
            func status() async throws -> String? {
                try await source.problems(ReportQuery()).problems.first { $0.field == "$.score" }?.status
            }
            #expect(try await self.send(port, "POST", "/api/v1/problems/status", headers: [
                ("Origin", "http://attacker.example"), ("Content-Type", "text/plain"), ("Sec-Fetch-Site", "cross-site"),
            ], body: accept).status == 403)
            #expect(try await self.send(port, "POST", "/api/v1/problems/status", headers: [
                ("Origin", "http://attacker.example"), ("Content-Type", "application/json"),
            ], body: accept).status == 403)
            #expect(try await self.send(port, "POST", "/api/v1/problems/status", headers: [("Content-Type", "text/plain")], body: accept).status == 415)
            #expect(try await status() == "open")
            let own = try await self.send(port, "POST", "/api/v1/problems/status", headers: [
                ("Origin", "http://127.0.0.1:\(port)"), ("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-origin"),
            ], body: accept)
            #expect(own.status == 200)
            #expect(try await status() == "accepted")
        }
    }

    @Test func aForeignHostIsRefusedSoDNSRebindingReadsNothing() async throws {
        try await self.withUI { port, _ in
            let rebound = try await self.send(port, "GET", "/api/v1/report", host: "attacker.example:\(port)")
            #expect(rebound.status == 421)
            #expect(!String(decoding: rebound.body, as: UTF8.self).contains(ReviewFixture.commentRoute))
            #expect(try await self.send(port, "GET", "/api/v1/comparisons/x", host: "attacker.example").status == 421)
            #expect(try await self.send(port, "GET", "/ui", host: "attacker.example:\(port)").status == 421)
            #expect(try await self.send(port, "GET", "/api/v1/overview", host: "127.0.0.1:\(port + 1)").status == 421)
            #expect(try await self.send(port, "GET", "/api/v1/overview", host: "127.0.0.1.attacker.example:\(port)").status == 421)
            #expect(try await self.send(port, "GET", "/api/v1/overview", headers: [("Host", "127.0.0.1:\(port)")]).status == 421, "two Host fields")

            #expect(try await self.send(port, "GET", "/api/v1/overview").status == 200)
            #expect(try await self.send(port, "GET", "/api/v1/overview", host: "localhost:\(port)").status == 200)
            #expect(try await self.send(port, "GET", "/api/v1/overview", host: "LOCALHOST:\(port)").status == 200)
        }
    }

    @Test func withATokenOnlyTheTokenCounts() async throws {
        try await self.withUI(token: "s3cret") { (port: Int, source: LedgerReportSource) async throws in
            #expect(try await self.send(port, "GET", "/api/v1/overview").status == 401)
            #expect(try await self.send(port, "GET", "/api/v1/overview", headers: [("Authorization", "Bearer s3cret")]).status == 200)
            // Reached under another name (a tunnel, a DNS name for the host): the token is what is checked.
            #expect(try await self.send(port, "GET", "/api/v1/overview", host: "review.internal", headers: [("Authorization", "Bearer s3cret")]).status == 200)
            #expect(try await self.send(port, "GET", "/ui", host: "review.internal").status == 200)
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [("Content-Type", "application/json")], body: Self.mark).status == 401)
            #expect(try await self.send(port, "POST", "/api/v1/annotations", headers: [
                ("Content-Type", "application/json"), ("Authorization", "Bearer s3cret"),
            ], body: Self.mark).status == 201)
            #expect(try await self.annotationCount(source) == 1)
        }
    }

    /// Lengths that differ by 256 used to fold to 0 in a byte: the token followed by 256 bytes compared equal.
    @Test func aTokenPlus256BytesIsRefused() {
        let token = Array("s3cret".utf8)
        #expect(TokenComparison.constantTimeEquals(token, token))
        #expect(!TokenComparison.constantTimeEquals(token + [UInt8](repeating: 0, count: 256), token))
        #expect(!TokenComparison.constantTimeEquals(token, token + [UInt8](repeating: 0, count: 512)))
        #expect(!TokenComparison.constantTimeEquals([], [UInt8](repeating: 0, count: 256)))
        #expect(!TokenComparison.constantTimeEquals(Array("s3cres".utf8), token))
        #expect(!TokenComparison.constantTimeEquals(Array("s3cre".utf8), token))
    }

    @Test func loopbackIsAnAddressNotAPrefix() throws {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LocalHost"] {
            #expect(LoopbackHost.isLoopback(host), "\(host)")
        }
        for host in ["127.corp.example", "127.0.0.1.nip.io", "127.0.0", "127.1", "0.0.0.0", "10.0.0.1", "::", "::2", "localhost.example", "", "1127.0.0.1", "127.0.0.256"] {
            #expect(!LoopbackHost.isLoopback(host), "\(host)")
        }
        #expect(throws: ReviewError.self) { try ReviewServer.Configuration(host: "127.corp.example", port: 9091).validate() }
        try ReviewServer.Configuration(host: "127.corp.example", port: 9091, token: "t").validate()
        try ReviewServer.Configuration(host: "127.0.0.2", port: 9091).validate()
    }

    @Test func thePolicyAllowsOnlyThisListenersNames() {
        let policy = LocalRequestPolicy(listenHost: "127.0.0.1")
        func check(_ method: String = "GET", host: String, origin: String? = nil, type: String? = nil, site: String? = nil) -> Int? {
            policy.check(.init(method: method, hosts: [host], origin: origin, secFetchSite: site, contentType: type), port: 9091)?.status
        }
        #expect(check(host: "127.0.0.1:9091") == nil)
        #expect(check(host: "localhost:9091") == nil)
        #expect(check(host: "[::1]:9091") == 421, "not the address this listener binds")
        #expect(check(host: "127.0.0.1") == 421, "port 80 is not this listener's")
        #expect(check(host: "127.0.0.1:09091x") == 421)
        #expect(check("POST", host: "127.0.0.1:9091", type: "application/json") == nil)
        #expect(check("DELETE", host: "127.0.0.1:9091", origin: "http://127.0.0.1:9091", type: "Application/JSON ; charset=utf-8") == nil)
        #expect(check("POST", host: "127.0.0.1:9091", origin: "http://localhost:9091", type: "application/json") == 403, "another origin than the one addressed")
        #expect(check("POST", host: "127.0.0.1:9091", origin: "https://127.0.0.1:9091", type: "application/json") == 403)
        #expect(check("POST", host: "127.0.0.1:9091", type: "application/jsonp") == 415)
        #expect(check("POST", host: "127.0.0.1:9091", type: "application/json", site: "same-site") == 403)
        #expect(check("POST", host: "127.0.0.1:9091", type: "application/json", site: "none") == nil)
        #expect(policy.check(.init(method: "GET", hosts: []), port: 9091)?.status == 421, "no Host")
        let v6 = LocalRequestPolicy(listenHost: "::1")
        #expect(v6.check(.init(method: "GET", hosts: ["[::1]:9091"]), port: 9091) == nil)
        let named = LocalRequestPolicy(listenHost: "localhost")
        #expect(named.check(.init(method: "GET", hosts: ["127.0.0.1:80"]), port: 80) == nil)
        #expect(named.check(.init(method: "GET", hosts: ["localhost"]), port: 80) == nil)
    }

    /// A failure the caller did not cause is answered without the ledger's path or the raw error.
    @Test func ledgerErrorsDoNotRevealThePath() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-missing-\(UUID().uuidString)/secret-name.sqlite").path
        let url = LedgerURL(backend: .sqlite(path: path))
        try await LedgerReaders.withReader(url: url, logger: Logger(label: "review-access-test")) { database in
            try await Self.serve(LedgerReportSource(reader: database, ledgerDescription: url.description)) { port in
                let response = try await self.send(port, "GET", "/api/v1/annotations")
                #expect(response.status == 503)
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(!text.contains("secret-name") && !text.contains(path))
                #expect(text.contains("the server log has the details"))
            }
        }
    }

    /// Annotations are bounded: a flood cannot grow the table every report reads without limit.
    @Test func annotationsAreCapped() async throws {
        try await ReviewFixture.withSQLite { _, source, _ in
            let n = LedgerReportSource.maxAnnotations
            _ = try await source.reader.query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(n)) INSERT INTO annotations (route, field, classification) SELECT 'GET /spam/{id}', '$.f' || i, 'noise' FROM n",
                []
            )
            let new = NewAnnotation(route: "GET /api/v1/comments/{id}", field: "$.score", classification: "noise")
            let error = await #expect(throws: ReviewError.self) { _ = try await source.annotate(new) }
            #expect(error?.isLimitReached == true)
            #expect(try await source.annotations().count == LedgerReportSource.maxListedAnnotations)
        }
    }
}
