import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// The proxy's pipelines do not validate outbound header fields a second time (NIO's validators scanned every field
/// of every message again, 3% of the event loop at sample rate 1.0): each field the proxy writes was parsed strictly
/// on its way in, or is the proxy's own. These tests hold that end to end: a CR, LF or NUL smuggled into a field,
/// by a client or by legacy, never reaches the other side.
@Suite("Header injection", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HeaderInjectionTests {
    static func upstream() async throws -> ScriptedUpstream {
        try await ScriptedUpstream { _ in .respond(ScriptedResponse(headers: [("Content-Type", "text/plain")], body: "ok")) }
    }

    @Test("a client's field with a bare CR, a NUL or a space in its name is refused with 400; legacy and the candidate get nothing")
    func clientFieldsAreParsedStrictly() async throws {
        let legacy = try await Self.upstream()
        let candidate = try await Self.upstream()
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            for head in [
                "GET /a HTTP/1.1\r\nHost: t\r\nX-A: 1\rX-Admin: yes\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: t\r\nX-A: 1\0X-Admin: yes\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: t\r\nX A: 1\r\n\r\n",
            ] {
                let client = try await RawTCP.connect(port: proxy.port)
                try await client.send(head)
                let bytes = await client.waitForClose()
                #expect(String(decoding: bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 400", "\(head.debugDescription)")
            }
            // A good request afterwards reaches both: the refusals were the parser's, not a broken proxy.
            let response = try await proxy.client.get(url: proxy.url + "/a").get()
            #expect(response.status == .ok)
            #expect(await legacy.waitUntil { $0.requestCount == 1 })
            #expect(await candidate.waitUntil { $0.requestCount == 1 })
            #expect(legacy.requests.map(\.head.uri) == ["/a"])
            #expect(legacy.requests.allSatisfy { $0.head.headers["X-Admin"].isEmpty })
        }
    }

    @Test("legacy's field with a bare CR is not passed on: the client gets 502 and none of legacy's fields")
    func legacyFieldsAreParsedStrictly() async throws {
        let legacy = try await ScriptedUpstream { _ in
            .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\rSet-Cookie: admin=1\r\n\r\nok".utf8))
        }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let response = try await proxy.client.get(url: proxy.url + "/a").get()
            #expect(response.status == .badGateway)
            #expect(response.headers["Set-Cookie"].isEmpty)
            #expect(response.headers["X-A"].isEmpty)
        }
    }
}
