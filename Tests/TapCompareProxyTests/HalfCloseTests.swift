import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareMirroring
@testable import TapCompareProxy
import TapCompareTestSupport

/// A client that shuts its sending side after its request (TCP half-close: `nc -N`, HTTP/1.0 clients, scripts)
/// still gets legacy's answer, in full, then the connection's end; what it cut short is a client abort as before.
@Suite("Client half-close", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HalfCloseTests {
    static let legacyAnswer = ScriptedResponse(headers: [("Content-Type", "application/json")], body: Fixtures.json)
    static let candidateAnswer = ScriptedResponse(headers: [("Content-Type", "application/json")], body: #"{"id":42,"text":"hi"}"#)

    /// A legacy that answers `response` only once the test's client has half-closed, so the end of the client's input
    /// reaches the proxy while the request is in flight (else the scenario would be a FIN between requests).
    static func legacyAnsweringAfter(
        _ halfClosed: NIOLockedValueBox<Bool>, _ response: @escaping @Sendable (String) -> UpstreamBehavior
    ) async throws -> ScriptedUpstream {
        try await ScriptedUpstream { head in
            let uri = head.uri
            guard case .respond(let answer) = response(uri) else { return response(uri) }
            return .work { _ in
                _ = await pollUntil { halfClosed.withLockedValue { $0 } }
                return answer
            }
        }
    }

    /// Runs `body` with a proxy (sampled at 1.0) in front of a legacy that holds its answers (`answer(uri)`) until
    /// the test calls `release`, and, with `withCandidate`, a candidate answering ``candidateAnswer``. The client is
    /// connected, has sent `request`, and legacy has the first request in flight: the end of the client's input then
    /// reaches the proxy while that request is under way (else the scenario would be a FIN between requests).
    static func withRequestInFlight(
        _ request: String,
        answer: @escaping @Sendable (String) -> UpstreamBehavior = { _ in .respond(Self.legacyAnswer) },
        withCandidate: Bool = false,
        _ body: (_ proxy: ProxyHarness, _ legacy: ScriptedUpstream, _ client: RawTCP, _ release: () -> Void) async throws -> Void
    ) async throws {
        let released = NIOLockedValueBox(false)
        let legacy = try await Self.legacyAnsweringAfter(released, answer)
        let candidate = withCandidate ? try await ScriptedUpstream { _ in .respond(Self.candidateAnswer) } : nil
        defer { Task { try await legacy.shutdown(); try await candidate?.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate?.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send(request)
            #expect(await legacy.waitUntil { $0.requestsInFlight == 1 })
            try await body(proxy, legacy, client) { released.withLockedValue { $0 = true } }
        }
    }

    /// Checks that `proxy` compared one exchange, legacy's ``legacyAnswer`` against the candidate's
    /// ``candidateAnswer``, and returns it.
    @discardableResult
    static func expectComparedExchange(_ proxy: ProxyHarness) async throws -> Exchange {
        let exchange = try #require(await proxy.sink.waitFor(count: 1).first)
        #expect(Array(exchange.legacy.body.readableBytesView) == Fixtures.json)
        guard case .response(let candidateResponse, _) = exchange.candidate else {
            Issue.record("the candidate's answer is missing: \(exchange.candidate)")
            return exchange
        }
        #expect(candidateResponse.body == ByteBuffer(string: #"{"id":42,"text":"hi"}"#))
        return exchange
    }

    /// The last response to a half-closed client carries `Connection: close` when the proxy knew of the client's FIN
    /// before legacy answered; when both came in one poll of the event loop and legacy's answer was handled first, it
    /// carries no `Connection` field and the connection closes right after it. Anything else is wrong.
    static func endsConnectionIfItCan(_ response: RawResponse) -> Bool {
        let connection = response.values("Connection")
        return connection == ["close"] || connection.isEmpty
    }

    static func skipped(_ metrics: TestMetrics, _ reason: String) -> Int64 {
        (try? metrics.expectCounter(ProxyMetrics.skipped, [("reason", reason)]))?.totalValue ?? -1
    }

    /// Splits what a client received into its `Content-Length`-framed responses, in order; `nil` when the bytes are
    /// not whole responses, one after the other, with nothing after the last.
    static func responses(in bytes: [UInt8]) -> [RawResponse]? {
        var responses: [RawResponse] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let slice = Array(rest)
            guard let headEnd = RawResponse.find([13, 10, 13, 10], in: slice), let response = RawResponse(parsing: slice),
                let length = response.values("Content-Length").first.flatMap({ Int($0) }), slice.count >= headEnd + 4 + length
            else { return nil }
            responses.append(response)
            rest = rest.dropFirst(headEnd + 4 + length)
        }
        return responses
    }

    @Test("GET then shutdown(SHUT_WR): the client reads legacy's whole response, then the connection's end; the exchange is compared")
    func getThenHalfClose() async throws {
        try await Self.withRequestInFlight("GET /api/v1/comments/42 HTTP/1.1\r\nHost: x\r\n\r\n", withCandidate: true) { proxy, _, client, release in
            try await client.shutdownOutput()
            release()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let responses = try #require(Self.responses(in: received), "not whole responses: \(String(decoding: received, as: UTF8.self))")
            try #require(responses.count == 1)
            #expect(responses[0].status == 200)
            #expect(responses[0].body == Fixtures.json)
            #expect(responses[0].values("Content-Type") == ["application/json"])
            // The connection ended after it (above). It says so itself when the proxy had read the FIN before legacy's
            // answer came, which a loaded machine may reverse (both wait in one poll of the event loop).
            #expect(Self.endsConnectionIfItCan(responses[0]))

            // Sampled at 1.0: the exchange is compared as for any client.
            let exchange = try await Self.expectComparedExchange(proxy)
            #expect(exchange.request.uri == "/api/v1/comments/42")
        }
    }

    @Test("a client that closes (a FIN, which may be a half-close) before legacy answers: legacy's call goes on and its answer is compared")
    func closeBeforeLegacyAnswers() async throws {
        try await Self.withRequestInFlight("GET /api/v1/comments/42 HTTP/1.1\r\nHost: x\r\n\r\n", withCandidate: true) { proxy, legacy, client, release in
            try await client.close()
            release()
            try await Self.expectComparedExchange(proxy)
            // Legacy answered in full (its count is taken after its last write, which the proxy may read first).
            #expect(await legacy.waitUntil { $0.respondedCount == 1 })
        }
    }

    @Test("two pipelined GETs then FIN: both answered in order, then the connection's end")
    func pipelinedThenHalfClose() async throws {
        try await Self.withRequestInFlight(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", answer: { uri in .respond(ScriptedResponse(body: "answer to \(uri)")) }
        ) { _, legacy, client, release in
            try await client.shutdownOutput()
            release()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let responses = try #require(Self.responses(in: received), "not whole responses: \(String(decoding: received, as: UTF8.self))")
            #expect(responses.map { String(decoding: $0.body, as: UTF8.self) } == ["answer to /1", "answer to /2"])
            #expect(responses.map(\.status) == [200, 200])
            // Only the last one says close: the first was answered on a connection that went on.
            #expect(responses.map { $0.values("Connection") } == [[], ["close"]])
            #expect(legacy.requests.map(\.head.uri) == ["/1", "/2"])
        }
    }

    @Test("a GET, then a POST cut short by the FIN behind it: the GET is answered in full, the POST dropped (it never reached legacy), then the connection's end")
    func pipelinedCutShortThenHalfClose() async throws {
        try await Self.withRequestInFlight(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123"
        ) { _, legacy, client, release in
            try await client.shutdownOutput()
            release()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let responses = try #require(Self.responses(in: received), "not whole responses: \(String(decoding: received, as: UTF8.self))")
            #expect(responses.map(\.body) == [Fixtures.json])
            #expect(responses.count == 1 && Self.endsConnectionIfItCan(responses[0]))
            #expect(legacy.requests.map(\.head.uri) == ["/1"])
        }
    }

    @Test("FIN in the middle of a POST body: a client abort as before (client_aborted, legacy's call abandoned), no response")
    func finMidBody() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyAnswer) }
        let candidate = try await ScriptedUpstream { _ in .respond(Self.candidateAnswer) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        // Writes are mirrored on this route, so the upload has an exchange for the abort to skip.
        let routes = RouteTable(
            entries: [.init(template: try RouteTemplate(parsing: "POST /upload"), value: RoutePolicy(mirrorWrites: true))], fallback: RoutePolicy()
        )
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { _, mirror in
            mirror.routes = routes
        }) { proxy in
            #expect(Self.skipped(metrics, "client_aborted") == 0)
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            // Legacy has the head: the call the FIN cuts short is under way.
            #expect(await legacy.waitUntil { $0.requestsInFlight == 1 })
            try await client.shutdownOutput()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            #expect(received.isEmpty, "got \(String(decoding: received, as: UTF8.self))")
            try await eventually("the cut request is counted client_aborted") { Self.skipped(metrics, "client_aborted") == 1 }
            // Legacy's connection is closed, not pooled with half a request on it; nothing was compared.
            #expect(await legacy.waitUntil { $0.requestsInFlight == 0 && $0.closedConnectionCount == 1 })
            #expect(legacy.respondedCount == 0)
            #expect(candidate.requestCount == 0)
            #expect(proxy.sink.count == 0)
        }
    }

    @Test("FIN on an idle keep-alive connection: closed, nothing counted")
    func finWhenIdle() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyAnswer) }
        let candidate = try await ScriptedUpstream { _ in .respond(Self.legacyAnswer) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = await client.waitForReceived(containing: String(decoding: Fixtures.json, as: UTF8.self))
            #expect(Self.responses(in: first)?.map(\.status) == [200])
            try await client.shutdownOutput()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            // Nothing more was sent: no error response.
            #expect(received == first)
            #expect(await proxy.sink.waitFor(count: 1).map(\.request.uri) == ["/first"])
            #expect(Self.skipped(metrics, "client_aborted") == 0)
            for reason in ClientRefusal.all.map(\.reason) {
                #expect((try? metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", reason)]))?.totalValue == 0, "refused: \(reason)")
            }
            #expect((try? metrics.expectCounter(ProxyMetrics.clientClosed, [("reason", "send_timeout")]))?.totalValue == 0)
        }
    }

    @Test("an h2c client that shuts its sending side: its connection closes at once, as before half-closure was allowed")
    func http2HalfCloseCloses() async throws {
        let metrics = TestMetrics()
        _ = try await HTTP2ListenerEdgeTests.withRawClient(metrics: metrics, configure: { $0.clientIdleTimeout = .minutes(10) }) { raw in
            try await raw.send(HTTP2ListenerEdgeTests.h2Preface + HTTP2ListenerEdgeTests.emptySettings)
            try await eventually("the proxy sent its SETTINGS") { RawHTTP2Frame.parse(raw.received).contains { $0.type == RawHTTP2Frame.settings } }
            try await raw.shutdownOutput()
            _ = await raw.waitForClose()
            #expect(raw.isClosed)
        }
    }

    @Test("a client that shuts its sending side before its bytes tell HTTP/1.1 from HTTP/2: its connection closes at once")
    func halfCloseBeforeVersionIsKnown() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyAnswer) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { proxy, _ in
            // Far past the wait below: only the end of input can close it in time.
            proxy.headerTimeout = .minutes(10)
            proxy.clientIdleTimeout = .minutes(10)
        }) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("PRI * HTTP/2.0\r\n")
            try await client.shutdownOutput()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            #expect(received.isEmpty)
            #expect(legacy.requestCount == 0)
        }
    }

    @Test("a large response (8 MiB) to a half-closed client is delivered in full")
    func largeResponse() async throws {
        let size = 8 << 20
        let legacy = try await ScriptedUpstream { _ in .huge(bytes: size) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
            try await client.shutdownOutput()
            let received = await client.waitForClose()
            #expect(client.isClosed)
            let responses = try #require(Self.responses(in: received), "not a whole response: \(received.count) bytes")
            try #require(responses.count == 1)
            #expect(responses[0].status == 200)
            #expect(responses[0].body.count == size)
            // Byte i of ScriptedUpstream's huge body is i % 251.
            let firstWrong = responses[0].body.indices.first { responses[0].body[$0] != UInt8($0 % 251) }
            #expect(firstWrong == nil)
        }
    }
}
