import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

/// Clients that leave early (read the head and close, or close while the candidate is still answering) do not
/// cost the comparison once legacy is answering: what the client does then changes nothing about the diff.
@Suite("Impatient clients", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ImpatientClientTests {
    static let legacyAnswer = ScriptedResponse(headers: [("Content-Type", "application/json")], body: Fixtures.json)
    static let candidateAnswer = ScriptedResponse(headers: [("Content-Type", "application/json")], body: #"{"id":42,"text":"hi"}"#)

    /// The parts of an exchange the comparison reads (latencies and the client's own headers aside).
    static func compared(_ exchange: Exchange) -> (legacy: ResponseSnapshot, candidate: ResponseSnapshot?) {
        guard case .response(let candidate, _) = exchange.candidate else { return (exchange.legacy, nil) }
        return (exchange.legacy, candidate)
    }

    @Test("a client that reads the response head and closes still gets the exchange compared, as a patient client's")
    func readsHeadThenCloses() async throws {
        // Legacy flushes its head first and its body later (as many frameworks do): the impatient client has the
        // head and is gone before the body reaches the proxy — legacy sends the body only once it has closed.
        let clientGone = NIOLockedValueBox(false)
        let legacy = try await ScriptedUpstream { head in
            guard head.headers["X-Impatient"].first == "1" else { return .respond(Self.legacyAnswer) }
            return .headThenBodyWhen(Self.legacyAnswer) { _ = await pollUntil { clientGone.withLockedValue { $0 } } }
        }
        let candidate = try await ScriptedUpstream { _ in .respond(Self.candidateAnswer) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let response = try await proxy.send(.GET, "/api/v1/comments/42")
            #expect(response.body == Fixtures.json)
            let patient = try #require(await proxy.sink.waitFor(count: 1).first)

            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /api/v1/comments/42 HTTP/1.1\r\nHost: x\r\nX-Impatient: 1\r\n\r\n")
            let head = await client.waitForReceived(containing: "\r\n\r\n")
            try await client.close()
            clientGone.withLockedValue { $0 = true }
            #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
            // The scenario holds: the client left before legacy's body was sent.
            #expect(!head.contains(Fixtures.json))

            let exchanges = await proxy.sink.waitFor(count: 2)
            try #require(exchanges.count == 2)
            let impatient = exchanges[1]
            #expect(impatient.request.uri == "/api/v1/comments/42")
            #expect(Self.compared(impatient).legacy == Self.compared(patient).legacy)
            #expect(Self.compared(impatient).candidate == Self.compared(patient).candidate)
            #expect(Self.compared(impatient).candidate != nil)
            #expect(Array(impatient.legacy.body.readableBytesView) == Fixtures.json)
            // Legacy wrote its answer to its end (its own count is taken after its last write, which the proxy may
            // read first: waited for).
            #expect(await legacy.waitUntil { $0.respondedCount == 2 })
        }
    }

    @Test("a client that closes while the candidate is still answering still gets the exchange compared")
    func closesWhileCandidateInFlight() async throws {
        let candidateDelay = TestTiming.scaled(TimeAmount.milliseconds(500))
        let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyAnswer) }
        let candidate = try await ScriptedUpstream { _ in .sleep(candidateDelay, then: Self.candidateAnswer) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /api/v1/comments/42 HTTP/1.1\r\nHost: x\r\n\r\n")
            let received = await client.waitForReceived(containing: String(decoding: Fixtures.json, as: UTF8.self))
            #expect(received.contains(Fixtures.json))
            try await client.close()
            let exchange = try #require(await proxy.sink.waitFor(count: 1).first)
            #expect(Self.compared(exchange).candidate?.body == ByteBuffer(string: #"{"id":42,"text":"hi"}"#))
        }
    }

    @Test("a client that resets its connection before legacy's head still abandons the legacy call: client_aborted, no comparison")
    func leavesBeforeLegacyAnswers() async throws {
        let legacy = try await ScriptedUpstream { _ in .hang }
        let candidate = try await ScriptedUpstream { _ in .respond(Self.candidateAnswer) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            await legacy.waitUntil { $0.requestsInFlight == 1 }
            await candidate.waitUntil { $0.respondedCount == 1 }
            // Gone for sure: a reset. (A FIN alone may be a half-close, whose whole request is still answered:
            // `HalfCloseTests`.)
            try await client.reset()
            // The legacy call is cut (its connection closed), so legacy never finishes answering.
            let legacyClosed = await legacy.waitUntil { $0.requestsInFlight == 0 }
            #expect(legacyClosed)
            #expect(proxy.sink.count == 0)
        }
    }
}
