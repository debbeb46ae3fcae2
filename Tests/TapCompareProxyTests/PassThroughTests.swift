import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

/// The legacy path: what the client receives is legacy's answer, byte for byte.
@Suite("Legacy pass-through", .timeLimit(.minutes(TestTiming.minutes(1))))
struct PassThroughTests {
    /// Legacy answers by path, one case per path.
    static func legacyBehavior(_ head: HTTPRequestHead) -> UpstreamBehavior {
        switch head.uri {
        case "/json":
            return .respond(ScriptedResponse(headers: [("Content-Type", "application/json"), ("X-Custom", "yes")], body: Fixtures.json))
        case "/binary":
            return .respond(ScriptedResponse(headers: [("Content-Type", "application/octet-stream")], body: Fixtures.binary))
        case "/chunked":
            return .respond(ScriptedResponse(headers: [("Content-Type", "text/plain")], body: Fixtures.binary, framing: .chunked(chunkSize: 1000)))
        case "/gzip":
            return .respond(ScriptedResponse(headers: [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")], body: Fixtures.gzip))
        case "/no-content":
            return .respond(ScriptedResponse(status: 204, reason: "No Content", headers: [("X-Kind", "204")], body: [UInt8](), framing: .asGiven))
        case "/not-modified":
            return .respond(ScriptedResponse(status: 304, reason: "Not Modified", headers: [("ETag", "\"v1\"")], body: [UInt8](), framing: .asGiven))
        case "/repeated":
            return .respond(ScriptedResponse(headers: [("Set-Cookie", "a=1; Path=/"), ("X-Multi", "one"), ("Set-Cookie", "b=2"), ("X-Multi", "two")], body: "ok"))
        case "/close-delimited":
            return .respond(ScriptedResponse(headers: [("Content-Type", "text/plain")], body: Fixtures.binary, framing: .closeDelimited))
        case "/close-delimited-keep-alive":
            // HTTP/1.1, no framing and no `Connection: close`: the body still ends only when legacy closes.
            return .garbage(Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n".utf8) + Fixtures.binary)
        case "/trickle":
            return .trickle(ScriptedResponse(headers: [("Content-Type", "text/plain")], body: Fixtures.json, framing: .chunked(chunkSize: 7)), bytesPerWrite: 5, interval: .milliseconds(1))
        case "/error":
            return .respond(ScriptedResponse(status: 503, reason: "Service Unavailable", headers: [("Retry-After", "3")], body: "down"))
        case "/redirect":
            return .respond(ScriptedResponse(status: 302, reason: "Found", headers: [("Location", "/json")], body: ""))
        case "/hop":
            return .respond(ScriptedResponse(
                headers: [("Connection", "X-Internal"), ("X-Internal", "secret"), ("Keep-Alive", "timeout=5"),
                          ("Proxy-Authenticate", "Basic"), ("Trailer", "X-Sum"), ("Upgrade", "h2c"), ("X-Kept", "1")],
                body: "hop"))
        default:
            return .echo
        }
    }

    @Test("status, headers and body bytes arrive exactly as legacy sent them", arguments: [
        "/json", "/binary", "/chunked", "/gzip", "/repeated", "/close-delimited", "/error", "/redirect", "/trickle",
    ])
    func passThrough(path: String) async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        let direct = try RawResponse(parsing: await RawHTTPClient.exchange("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: legacy.port))!
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let bytes = try await RawHTTPClient.exchange("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: proxy.port)
            let viaProxy = try #require(RawResponse(parsing: bytes))
            #expect(viaProxy.status == direct.status)
            #expect(viaProxy.body == direct.body)
            let framing: Set<String> = ["content-length", "transfer-encoding", "connection"]
            let expected = direct.headers.filter { !framing.contains($0.name.lowercased()) }.map { "\($0.name): \($0.value)" }
            let received = viaProxy.headers.filter { !framing.contains($0.name.lowercased()) }.map { "\($0.name): \($0.value)" }
            #expect(received == expected)
        }
    }

    @Test("an HTTP/1.1 answer delimited by legacy closing, with no Connection: close, arrives whole; the next request gets a new connection")
    func closeDelimitedWithoutConnectionClose() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            for _ in 0..<2 {
                let response = try await proxy.send(.GET, "/close-delimited-keep-alive")
                #expect(response.status == 200)
                #expect(response.body == Fixtures.binary)
            }
            #expect(legacy.requests.count == 2)
            #expect(legacy.connectionCount == 2)
        }
    }

    @Test("gzip bodies stay encoded; redirects are not followed")
    func gzipAndRedirect() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let gzip = try await proxy.send(.GET, "/gzip", headers: [("Accept-Encoding", "gzip")])
            #expect(gzip.headers["Content-Encoding"] == ["gzip"])
            #expect(gzip.body == Fixtures.gzip)
            let redirect = try await proxy.send(.GET, "/redirect")
            #expect(redirect.status == 302)
            #expect(redirect.headers["Location"] == ["/json"])
            #expect(legacy.requests.map(\.head.uri) == ["/gzip", "/redirect"])
        }
    }

    @Test("204, 304 and HEAD answers carry no body and keep their headers")
    func bodiless() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let noContent = try await proxy.send(.GET, "/no-content")
            #expect(noContent.status == 204)
            #expect(noContent.headers["X-Kind"] == ["204"])
            #expect(noContent.body.isEmpty)
            let notModified = try await proxy.send(.GET, "/not-modified")
            #expect(notModified.status == 304)
            #expect(notModified.headers["ETag"] == ["\"v1\""])
            let head = try await proxy.send(.HEAD, "/json")
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == [String(Fixtures.json.count)])
            #expect(head.body.isEmpty)
            // The connection is still in a clean state: the next request on it works.
            let after = try await proxy.send(.GET, "/json")
            #expect(after.body == Fixtures.json)
            // HEAD over raw bytes: nothing follows the head.
            let raw = try await RawHTTPClient.exchange("HEAD /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: proxy.port)
            let parsed = try #require(RawResponse(parsing: raw, hasBody: false))
            #expect(parsed.values("Content-Length") == [String(Fixtures.json.count)])
            #expect(raw.count == RawResponse.find([13, 10, 13, 10], in: raw)! + 4)
        }
    }

    @Test("request bodies reach legacy byte for byte; repeated request headers keep their order")
    func requestBody() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let response = try await proxy.send(.POST, "/echo?x=1", headers: [("X-Multi", "1"), ("X-Multi", "2")], body: Fixtures.binary)
            #expect(response.status == 200)
            #expect(response.body == Fixtures.binary)
            let received = try #require(legacy.requests.last)
            #expect(received.head.method == .POST)
            #expect(received.head.uri == "/echo?x=1")
            #expect(received.head.headers["X-Multi"] == ["1", "2"])
            #expect(received.body == Fixtures.binary)
            // A chunked upload is re-chunked, body unchanged.
            let raw = try await RawHTTPClient.exchange(
                "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                port: proxy.port
            )
            #expect(RawResponse(parsing: raw)?.body == Array("hello world".utf8))
            #expect(legacy.requests.last?.body == Array("hello world".utf8))
        }
    }

    @Test("Host is rewritten, X-Forwarded-* set by the proxy (the edge) over the client's, the request id passed on or generated")
    func forwardingHeaders() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            // A client over plain HTTP claiming another address, HTTPS and another host.
            _ = try await proxy.send(.GET, "/echo", headers: [
                ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "bank.example"),
                ("X-Request-Id", "client-id-1"),
            ])
            let first = try #require(legacy.requests.last)
            #expect(first.head.headers["Host"] == ["127.0.0.1:\(legacy.port)"])
            #expect(first.head.headers["X-Forwarded-For"] == ["127.0.0.1"])
            #expect(first.head.headers["X-Forwarded-Proto"] == ["http"])
            #expect(first.head.headers["X-Forwarded-Host"] == ["127.0.0.1:\(proxy.port)"])
            #expect(first.head.headers["X-Request-Id"] == ["client-id-1"])

            _ = try await proxy.send(.GET, "/echo")
            _ = try await proxy.send(.GET, "/echo")
            let ids = legacy.requests.suffix(2).compactMap { $0.head.headers.first(name: "X-Request-Id") }
            #expect(ids.count == 2)
            #expect(Set(ids).count == 2)
            #expect(ids.allSatisfy { $0.count == 36 })
        }
        try await ProxyHarness.with(legacy: legacy.url, configure: { configuration, _ in configuration.preserveHost = true }) { proxy in
            _ = try await proxy.send(.GET, "/echo", headers: [("Host", "public.example")])
            #expect(legacy.requests.last?.head.headers["Host"] == ["public.example"])
        }
        // Behind a trusted proxy: its X-Forwarded-For is kept and this hop appended; the scheme it saw is kept,
        // as one value.
        try await ProxyHarness.with(legacy: legacy.url, configure: { configuration, _ in configuration.trustForwardedHeaders = true }) { proxy in
            _ = try await proxy.send(.GET, "/echo", headers: [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")])
            let trusted = try #require(legacy.requests.last)
            #expect(trusted.head.headers["X-Forwarded-For"] == ["203.0.113.9, 127.0.0.1"])
            #expect(trusted.head.headers["X-Forwarded-Proto"] == ["https"])
        }
    }

    @Test("hop-by-hop headers are stripped in both directions")
    func hopByHop() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            _ = try await RawHTTPClient.exchange(
                "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close, X-Client-Hop\r\nX-Client-Hop: 1\r\nKeep-Alive: timeout=9\r\n"
                    + "TE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nX-End-To-End: kept\r\n\r\n",
                port: proxy.port
            )
            let seen = try #require(legacy.requests.last).head.headers
            for name in ["Connection", "X-Client-Hop", "Keep-Alive", "TE", "Proxy-Authorization", "Proxy-Connection"] {
                #expect(!seen.contains(name: name), "\(name) reached legacy")
            }
            #expect(seen["X-End-To-End"] == ["kept"])

            let raw = try await RawHTTPClient.exchange("GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: proxy.port)
            let response = try #require(RawResponse(parsing: raw))
            for name in ["X-Internal", "Keep-Alive", "Proxy-Authenticate", "Trailer", "Upgrade"] {
                #expect(response.values(name).isEmpty, "\(name) reached the client")
            }
            #expect(response.values("Connection") == ["close"])
            #expect(response.values("X-Kept") == ["1"])
            #expect(response.body == Array("hop".utf8))
        }
    }

    @Test("keep-alive connections to legacy are pooled")
    func pooling() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            for _ in 0..<20 {
                let response = try await proxy.send(.GET, "/json")
                #expect(response.body == Fixtures.json)
            }
            #expect(legacy.requestCount == 20)
            // One client connection uses one legacy connection at a time; the test client may have opened a
            // couple of connections, never one per request.
            #expect(legacy.connectionCount <= 2)
        }
    }

    @Test("a pooled legacy connection reused again and again stays open, and is closed once idle for upstream.idle_timeout")
    func idleLegacyConnectionsClose() async throws {
        let legacy = try await ScriptedUpstream(behavior: Self.legacyBehavior)
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { proxy, _ in proxy.idleTimeout = .milliseconds(400) }) { proxy in
            // Each request parks the connection and re-arms its idle timer; the last one's deadline decides.
            for _ in 0..<20 { _ = try await proxy.send(.GET, "/json") }
            #expect(legacy.requestCount == 20)
            let opened = legacy.connectionCount
            try await eventually("legacy saw every pooled connection closed by the proxy") {
                legacy.closedConnectionCount == opened
            }
            // Nothing else was opened meanwhile, and the next request gets a fresh connection that works.
            #expect(legacy.connectionCount == opened)
            #expect(try await proxy.send(.GET, "/json").body == Fixtures.json)
            #expect(legacy.connectionCount == opened + 1)
        }
    }

    @Test("legacy refusing gives 502, timing out gives 504, garbage gives 502: short plain text")
    func legacyFailures() async throws {
        let refusing = try await ScriptedUpstream.refusingPort()
        try await ProxyHarness.with(legacy: "http://127.0.0.1:\(refusing)") { proxy in
            let response = try await proxy.send(.GET, "/x")
            #expect(response.status == 502)
            #expect(response.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
            #expect(String(decoding: response.body, as: UTF8.self).hasPrefix("502 Bad Gateway"))
        }
        let misbehaving = try await ScriptedUpstream { head in
            switch head.uri {
            case "/hang": .hang
            case "/garbage": .garbage(Array("this is not http\r\n\r\n".utf8))
            case "/reset": .resetMidBody(ScriptedResponse(body: Fixtures.binary), afterBytes: 100)
            default: .close
            }
        }
        defer { Task { try await misbehaving.shutdown() } }
        // 2 s: long enough that the answers that do come (garbage, a close) come first on a loaded CI machine; a
        // 300 ms bound turned them into 504s there, and 2 s did under ThreadSanitizer (hence scaled).
        try await ProxyHarness.with(legacy: misbehaving.url, configure: { configuration, _ in configuration.readTimeout = TestTiming.scaled(.seconds(2)) }) { proxy in
            let timeout = try await proxy.send(.GET, "/hang")
            #expect(timeout.status == 504)
            #expect(String(decoding: timeout.body, as: UTF8.self).hasPrefix("504 Gateway Timeout"))
            let garbage = try await proxy.send(.GET, "/garbage")
            #expect(garbage.status == 502)
            let closed = try await proxy.send(.GET, "/closed")
            #expect(closed.status == 502)
            // A reset after the response started cannot become a 502: the client sees the response cut short. On
            // a loaded machine (a sanitizer build) the reset can arrive in the same read as legacy's head, before
            // anything went to the client, and then a 502 is the right answer. Never a response that looks whole.
            do {
                let reset = try await proxy.send(.GET, "/reset")
                #expect(reset.status == 502, "legacy reset mid-body, yet the client got \(reset.status) with \(reset.body.count) bytes")
            } catch {
                // Cut short: the expected outcome.
            }
        }
    }
}
