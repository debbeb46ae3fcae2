import Foundation
import NIOCore
import NIOHTTP1
import TapCompareApp
import TapCompareCore
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// Clients that try to smuggle requests, overflow the head, hold connections with slow headers, or send odd
    /// targets: each is refused (or handled) with a clear status, counted by reason, never forwarded, and the proxy
    /// keeps serving.
    @Suite("Hostile clients") struct HostileClients {
        func withServe(
            configure: @escaping (inout ServeConfiguration) -> Void = { _ in },
            _ body: (ServeHarness, _ legacy: ScriptedUpstream, _ candidate: ScriptedUpstream) async throws -> Void
        ) async throws {
            let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
            let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
            try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in configure(&c) }) { serve in
                try await body(serve, legacy, candidate)
            }
            try await legacy.shutdown()
            try await candidate.shutdown()
        }

        func refusedDelta(_ before: PrometheusText, _ after: PrometheusText, _ reason: String) -> Double {
            after.value("tapcompare_client_refused_total", ["reason": reason]) - before.value("tapcompare_client_refused_total", ["reason": reason])
        }

        func expectServesNext(_ serve: ServeHarness) async throws {
            let next = try #require(try await serve.get("/fault/after"))
            #expect(next.status == 200)
            #expect(next.bodyText == "legacy")
        }

        @Test("request-smuggling forms get 400, are counted by reason, and legacy never sees a request")
        func smugglingFormsAreRefused() async throws {
            let smuggled = "GET /fault/smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
            let forms: [(name: String, request: String, reason: String)] = [
                (
                    "Content-Length and Transfer-Encoding",
                    "POST /fault/s1 HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
                    // NIO reports llhttp's transfer-encoding error as `.unknown`; the proxy's own scan of the head
                    // names it.
                    "smuggling"
                ),
                (
                    "Transfer-Encoding and Content-Length",
                    "POST /fault/s5 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + smuggled,
                    "smuggling"
                ),
                (
                    "two different Content-Lengths",
                    "POST /fault/s2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 44\r\n\r\nhello" + smuggled,
                    "invalid_framing"
                ),
                (
                    "obsolete line folding",
                    "GET /fault/s3 HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n",
                    "invalid_header"
                ),
                (
                    "a chunk size that is not hexadecimal",
                    "POST /fault/s4 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + smuggled,
                    "invalid_chunk"
                ),
            ]
            try await self.withServe { serve, legacy, candidate in
                for form in forms {
                    let before = try await serve.metrics()
                    let bytes = try await RawHTTPClient.exchange(form.request, port: serve.proxyPort)
                    let response = try #require(RawResponse(parsing: bytes), "\(form.name): no response")
                    #expect(response.status == 400, "\(form.name)")
                    #expect(response.values("Connection") == ["close"], "\(form.name)")
                    let after = try await serve.metrics()
                    #expect(self.refusedDelta(before, after, form.reason) == 1, "\(form.name): \(after.text.split(separator: "\n").filter { $0.hasPrefix("tapcompare_client_refused_total") })")
                }
                // The bad chunk arrives after a valid head, which may already be on its way to legacy; the
                // connection to legacy is then abandoned, so legacy never gets a complete request and nothing
                // after the bad chunk is ever read as a request.
                #expect(legacy.requests.isEmpty)
                #expect(!legacy.events.contains { $0.contains("smuggled") || $0.contains("/fault/s1") || $0.contains("/fault/s2") || $0.contains("/fault/s3") || $0.contains("/fault/s5") })
                #expect(candidate.requestCount == 0)
                try await self.expectServesNext(serve)
            }
        }

        @Test("an oversized header line, an oversized head and too many headers get 431, counted")
        func oversizedHeadsGet431() async throws {
            try await self.withServe(configure: { c in
                c.listener.maxHeaderBytes = 8 << 10
                c.listener.maxHeaders = 50
            }) { serve, legacy, _ in
                let cases: [(String, String)] = [
                    ("one long header", "X-Big: " + String(repeating: "a", count: 9_000) + "\r\n"),
                    ("a long head", (0..<40).map { "X-H\($0): " + String(repeating: "b", count: 300) + "\r\n" }.joined()),
                    ("too many headers", (0..<60).map { "X-N\($0): 1\r\n" }.joined()),
                ]
                let before = try await serve.metrics()
                for (name, headers) in cases {
                    let bytes = try await RawHTTPClient.exchange("GET /fault/big HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n", port: serve.proxyPort)
                    let response = try #require(RawResponse(parsing: bytes), "\(name)")
                    #expect(response.status == 431, "\(name)")
                }
                let after = try await serve.metrics()
                #expect(self.refusedDelta(before, after, "headers_too_large") == 3)
                #expect(legacy.requestCount == 0)
                try await self.expectServesNext(serve)
            }
        }

        @Test("a client sending its head slowly is cut off with 408 at listener.header_timeout; idle keep-alive is not")
        func slowHeadersAreCutOff() async throws {
            try await self.withServe(configure: { $0.listener.headerTimeout = .milliseconds(500) }) { serve, legacy, _ in
                let before = try await serve.metrics()
                let slow = try await RawTCP.connect(port: serve.proxyPort)
                try await slow.send("GET /fault/slow HTTP/1.1\r\nHost: t\r\n")
                // One header line every 100 ms: an idle timeout would never fire, the head deadline does.
                for i in 0..<40 where !slow.isClosed {
                    try? await slow.send("X-Drip-\(i): 1\r\n")
                    try await Task.sleep(for: .milliseconds(100))
                }
                let bytes = await slow.waitForClose(timeout: .seconds(5))
                #expect(slow.isClosed)
                #expect(RawResponse(parsing: bytes)?.status == 408)

                // A connection that sends nothing at all is closed too, without an answer.
                let silent = try await RawTCP.connect(port: serve.proxyPort)
                #expect(await silent.waitForClose(timeout: .seconds(5)).isEmpty)
                #expect(silent.isClosed)

                // Between requests a kept-alive connection may pause longer than the head deadline.
                // The first head goes out with the connection: the 500 ms deadline runs from accept.
                let kept = try await RawTCP.connect(port: serve.proxyPort, firstBytes: "GET /fault/keep HTTP/1.1\r\nHost: t\r\n\r\n")
                try await Task.sleep(for: .milliseconds(1_200))
                try await kept.send("GET /fault/keep HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                let both = await kept.waitForClose(timeout: .seconds(5))
                #expect(String(decoding: both, as: UTF8.self).components(separatedBy: "HTTP/1.1 200 OK").count == 3)

                let after = try await serve.metrics()
                #expect(self.refusedDelta(before, after, "header_timeout") == 2)
                #expect(!legacy.events.contains("request /fault/slow"))
                try await self.expectServesNext(serve)
            }
        }

        @Test("absolute-form targets are forwarded in origin-form to legacy, never to the named host")
        func absoluteFormBecomesOriginForm() async throws {
            try await self.withServe { serve, legacy, _ in
                let bytes = try await RawHTTPClient.exchange(
                    "GET http://evil.example:8080/fault/absolute?q=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", port: serve.proxyPort
                )
                #expect(RawResponse(parsing: bytes)?.status == 200)
                #expect(legacy.requests.map(\.head.uri).contains("/fault/absolute?q=1"))
                let rows = try await serve.waitForRows(1)
                #expect(rows.first?.route == "GET /fault/absolute")
                try await self.expectServesNext(serve)
            }
        }

        @Test("dot-segment paths are forwarded unchanged but routed as resolved, so a disabled route stays unmirrored")
        func dotSegmentsFollowTheResolvedRoute() async throws {
            try await self.withServe(configure: { c in
                var route = ServeConfiguration.Route(template: try! RouteTemplate(parsing: "GET /fault/internal/{name}"))
                route.mirror = false
                c.routes = [route]
            }) { serve, legacy, candidate in
                let before = try await serve.metrics()
                for path in ["/fault/public/../internal/secret", "/fault/public/%2e%2e/internal/secret", "/fault/./internal/secret"] {
                    let response = try #require(try await serve.get(path))
                    #expect(response.status == 200, "\(path)")
                    #expect(legacy.requests.last?.head.uri == path)
                }
                #expect(candidate.requestCount == 0)
                let after = try await serve.metrics()
                let reason = ["reason": "route_disabled"]
                #expect(after.value("tapcompare_skipped_total", reason) - before.value("tapcompare_skipped_total", reason) == 3)
                try await self.expectServesNext(serve)
            }
        }

        @Test("a target that is not UTF-8 gets 400, is not forwarded, and the next request works")
        func invalidUTF8IsRefused() async throws {
            try await self.withServe { serve, legacy, _ in
                let before = try await serve.metrics()
                let request = Array("GET /fault/".utf8) + [0xFF, 0xFE, 0xC3] + Array(" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8)
                let response = try #require(RawResponse(parsing: try await RawHTTPClient.exchange(request, port: serve.proxyPort)))
                #expect(response.status == 400)
                let after = try await serve.metrics()
                #expect(self.refusedDelta(before, after, "invalid_request_line") == 1)
                #expect(legacy.requestCount == 0)
                try await self.expectServesNext(serve)
            }
        }
    }
}
