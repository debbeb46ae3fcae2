import MetricsTestKit
import NIOCore
import NIOHTTP1
import Testing
import TapCompareTestSupport
@testable import TapCompareProxy

/// Request bodies reach legacy framed, so none can smuggle a second request onto a pooled legacy connection: a
/// `TRACE` with a body is refused (NIO's encoder would drop its framing), and an HTTP/2 client's `GET` with DATA and
/// no `content-length` goes chunked, while a bodiless `GET` is sent as before.
@Suite("Request body framing", .timeLimit(.minutes(TestTiming.minutes(1))))
struct RequestFramingTests {
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    static func legacy() async throws -> ScriptedUpstream {
        try await ScriptedUpstream { head in .respond(ScriptedResponse(body: "path:\(head.uri)")) }
    }

    @Test("a TRACE whose body is a second request gets 400, counted as body_not_allowed; legacy sees no request; the next client gets its own answer")
    func traceWithBodyIsRefused() async throws {
        let legacy = try await Self.legacy()
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics) { proxy in
            let request = "TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n\r\n" + Self.smuggled
            let response = try #require(RawResponse(parsing: try await RawHTTPClient.exchange(request, port: proxy.port)))
            #expect(response.status == 400)
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "body_not_allowed")]).totalValue == 1)

            let next = try await proxy.send(.GET, "/next")
            #expect(String(decoding: next.body, as: UTF8.self) == "path:/next")
        }
        #expect(legacy.requests.map(\.head.uri) == ["/next"])
    }

    @Test("an HTTP/2 TRACE with DATA gets 400 on its stream; legacy sees no request")
    func http2TraceWithDataIsRefused() async throws {
        let legacy = try await Self.legacy()
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(method: "TRACE", path: "/", body: Array(Self.smuggled.utf8))
            #expect(response.status == "400")
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "body_not_allowed")]).totalValue == 1)
        }
        #expect(legacy.requestCount == 0)
    }

    @Test("an HTTP/2 GET with DATA and no content-length reaches legacy as one chunked request, body intact, and the candidate with its length; the next request on the pooled connection gets its own answer")
    func http2GetWithBodyIsChunked() async throws {
        let legacy = try await Self.legacy()
        let candidate = try await Self.legacy()
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let first = try await client.send(method: "GET", path: "/first", body: Array(Self.smuggled.utf8))
            #expect(first.status == "200")
            #expect(first.body == Array("path:/first".utf8))
            let second = try await client.send(method: "GET", path: "/second")
            #expect(second.body == Array("path:/second".utf8))
            await candidate.waitUntil { $0.respondedCount >= 2 }
        }
        #expect(legacy.requests.map(\.head.uri) == ["/first", "/second"])
        // One stream after the other on one client connection: the second reused the first's legacy connection.
        #expect(legacy.connectionCount == 1)
        let sent = try #require(legacy.requests.first)
        #expect(sent.head.headers["transfer-encoding"] == ["chunked"])
        #expect(sent.body == Array(Self.smuggled.utf8))

        #expect(candidate.requests.map(\.head.uri).sorted() == ["/first", "/second"])
        let mirrored = try #require(candidate.requests.first { $0.head.uri == "/first" })
        #expect(mirrored.head.headers["content-length"] == ["\(Self.smuggled.utf8.count)"])
        #expect(mirrored.body == Array(Self.smuggled.utf8))
    }

    @Test("a GET without a body reaches legacy without Transfer-Encoding or Content-Length, from HTTP/1.1 and HTTP/2 clients")
    func bodilessGetGainsNoFraming() async throws {
        let legacy = try await Self.legacy()
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            #expect(try await proxy.send(.GET, "/h1").body == Array("path:/h1".utf8))
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            #expect(try await client.send(method: "GET", path: "/h2").body == Array("path:/h2".utf8))
        }
        #expect(legacy.requests.map(\.head.uri) == ["/h1", "/h2"])
        for request in legacy.requests {
            #expect(request.head.headers["transfer-encoding"].isEmpty, "\(request.head.uri)")
            #expect(request.head.headers["content-length"].isEmpty, "\(request.head.uri)")
        }
    }

    @Test("the machine holds an HTTP/2 GET's legacy head until DATA (chunked) or the end (as sent); a TRACE's content refuses it")
    func heldHeadTransitions() {
        let h2 = HTTPVersion(major: 2, minor: 0)
        let get = HTTPRequestHead(version: h2, method: .GET, uri: "/", headers: ["host": "x"])
        var withBody = ProxyRequestStateMachine()
        #expect(withBody.requestPartReceived(.head(get)) == .startRequest(get))
        #expect(withBody.currentRequest?.isLegacyHeadHeld == true)
        #expect(withBody.legacyConnected(writable: true, reused: true) == .sendQueuedToLegacy)
        // An empty DATA frame is no content: the head waits on.
        #expect(withBody.requestPartReceived(.body(ByteBuffer())) == .none)
        let body = ByteBuffer(string: "abc")
        #expect(withBody.requestPartReceived(.body(body)) == .forwardBody(body, legacyConnected: true, heldHead: .chunked))
        #expect(withBody.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: true))

        var bodiless = ProxyRequestStateMachine()
        #expect(bodiless.requestPartReceived(.head(get)) == .startRequest(get))
        #expect(bodiless.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: false, heldHead: .noBody))
        #expect(bodiless.currentRequest?.isLegacyHeadHeld == false)

        // HTTP/1.1 heads say everything: nothing is held.
        let post = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["host": "x", "content-length": "3"])
        var http1 = ProxyRequestStateMachine()
        #expect(http1.requestPartReceived(.head(post)) == .startRequest(post))
        #expect(http1.currentRequest?.bodyFraming == .contentLength)

        let trace = HTTPRequestHead(version: .http1_1, method: .TRACE, uri: "/", headers: ["host": "x", "content-length": "3"])
        var traceHTTP1 = ProxyRequestStateMachine()
        #expect(traceHTTP1.requestPartReceived(.head(trace)) == .refuse(.bodyNotAllowed))
        #expect(traceHTTP1.state == .closing)

        let traceH2 = HTTPRequestHead(version: h2, method: .TRACE, uri: "/", headers: ["host": "x"])
        var traceHTTP2 = ProxyRequestStateMachine()
        #expect(traceHTTP2.requestPartReceived(.head(traceH2)) == .startRequest(traceH2))
        #expect(traceHTTP2.requestPartReceived(.body(body)) == .refuseStartedRequest(.bodyNotAllowed))
        #expect(traceHTTP2.state == .closing)
    }
}
