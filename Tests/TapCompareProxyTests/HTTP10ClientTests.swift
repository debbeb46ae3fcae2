import NIOCore
import NIOHTTP1
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// HTTP/1.0 clients that ask for keep-alive: the response is framed so the client can tell where it ends (never
/// chunked: 1.0 has no chunked encoding).
@Suite("HTTP/1.0 keep-alive", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HTTP10ClientTests {
    static func legacy() async throws -> ScriptedUpstream {
        try await ScriptedUpstream { head in
            switch head.uri {
            case "/chunked":
                .respond(ScriptedResponse(headers: [("Content-Type", "text/plain")], body: Fixtures.binary, framing: .chunked(chunkSize: 1000)))
            default:
                .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: Fixtures.json))
            }
        }
    }

    @Test("a known length: Connection: keep-alive is echoed with Content-Length, and the connection carries the next request")
    func keepAliveWithLength() async throws {
        let legacy = try await Self.legacy()
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            defer { Task { try? await client.close() } }
            try await client.send("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = await client.waitForReceived(containing: String(decoding: Fixtures.json, as: UTF8.self))
            let response = try #require(RawResponse(parsing: first))
            #expect(String(decoding: first.prefix(8), as: UTF8.self) == "HTTP/1.0")
            #expect(response.values("Connection").map { $0.lowercased() } == ["keep-alive"])
            #expect(response.values("Content-Length") == [String(Fixtures.json.count)])
            #expect(response.values("Transfer-Encoding").isEmpty)
            #expect(response.body == Fixtures.json)
            // The same connection serves a second request.
            try await client.send("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let second = "\r\n\r\n" + String(decoding: Fixtures.json, as: UTF8.self) + "HTTP/1.0 200"
            let both = await client.waitForReceived(containing: second)
            #expect(both.contains(Array(second.utf8)))
            #expect(!client.isClosed)
        }
    }

    @Test("no known length: never chunked to a 1.0 client; Connection: close and the body ends with the connection")
    func keepAliveWithoutLength() async throws {
        let legacy = try await Self.legacy()
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let bytes = await client.waitForClose()
            #expect(client.isClosed)
            let response = try #require(RawResponse(parsing: bytes))
            #expect(String(decoding: bytes.prefix(8), as: UTF8.self) == "HTTP/1.0")
            #expect(response.values("Transfer-Encoding").isEmpty)
            #expect(response.values("Connection").map { $0.lowercased() } == ["close"])
            #expect(response.body == Fixtures.binary)
        }
    }
}
