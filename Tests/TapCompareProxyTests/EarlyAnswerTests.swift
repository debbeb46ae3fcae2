import MetricsTestKit
import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

/// Legacy answers before the client's upload ends (a 413, a 401 after the head): the client still reads the whole
/// answer, and the skipped comparison says why.
@Suite("Early answers", .timeLimit(.minutes(TestTiming.minutes(1))))
struct EarlyAnswerTests {
    static let tooLarge = ScriptedResponse(status: 413, reason: "Payload Too Large", body: "upload over the limit\n")
    static let unauthorized = ScriptedResponse(status: 401, reason: "Unauthorized", body: "log in first\n")

    /// What follows the head in `bytes` (empty until the head is complete).
    static func body(of bytes: [UInt8]) -> ArraySlice<UInt8> {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard let start = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(end) }) else { return [] }
        return bytes[(start + 4)...]
    }

    static func uploadRoutes() throws -> RouteTable<RoutePolicy> {
        RouteTable(entries: [.init(template: try RouteTemplate(parsing: "POST /upload"), value: RoutePolicy(mirrorWrites: true))], fallback: RoutePolicy())
    }

    @Test("a 413 legacy sends while the client is still uploading reaches the client whole before the connection closes")
    func answerReachesAnUploadingClient() async throws {
        // Large enough that part of it is still in the proxy's socket buffer when its write completes: a plain close
        // with the client's upload unread resets the connection and the kernel drops that part.
        let answer = ScriptedResponse(status: 413, reason: "Payload Too Large", body: (0..<(1 << 20)).map { UInt8($0 % 251) })
        let legacy = try await ScriptedUpstream { _ in .respondAtHead(answer) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let bodyBytes = 256 << 20
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(bodyBytes)\r\n\r\n")
            let expected = Array("HTTP/1.1 413 Payload Too Large\r\n".utf8)
            // Uploads, reading the answer meanwhile, until the answer is complete (as curl does) or the proxy closes.
            let writer = Task {
                let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
                var sent = 0
                while sent < bodyBytes, Self.body(of: client.received).count < answer.body.count {
                    do { try await client.send(chunk) } catch { return sent }
                    sent += chunk.count
                }
                return sent
            }
            let received = await client.waitForClose()
            let sent = await writer.value
            #expect(sent < bodyBytes, "the client was still uploading when legacy answered")
            #expect(Array(received.prefix(expected.count)) == expected)
            let body = Self.body(of: received)
            #expect(body.count == answer.body.count, "received \(body.count) of \(answer.body.count) body bytes")
            #expect(body.elementsEqual(answer.body))
            #expect(String(decoding: received.prefix(200), as: UTF8.self).lowercased().contains("\r\ncontent-length: \(answer.body.count)\r\n"))
        }
    }

    @Test("a sampled upload legacy answers after the head is skipped as legacy_answered_early, not body_too_large")
    func earlyAnswerSkipReason() async throws {
        let legacy = try await ScriptedUpstream { _ in .respondAtHead(Self.unauthorized) }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        let routes = try Self.uploadRoutes()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { _, mirror in mirror.routes = routes }) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            // The body follows legacy's answer, so the answer comes before the request's end.
            await client.waitForReceived(containing: "log in first\n")
            try? await client.send([UInt8](repeating: 0x62, count: 100))
            let exchange = try #require(await proxy.sink.waitFor(count: 1).first)
            #expect(exchange.candidate == .skipped(.legacyAnsweredEarly))
            #expect(exchange.legacy.status.code == 401)
            #expect(try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "legacy_answered_early")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "body_too_large")]).totalValue == 0)
            #expect(candidate.requestCount == 0)
        }
    }

    @Test("an upload already over max_body_bytes when legacy answers early is still skipped as body_too_large")
    func earlyAnswerToTooLargeBody() async throws {
        let legacy = try await ScriptedUpstream { _ in .respondAtHead(Self.tooLarge) }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()
        let routes = try Self.uploadRoutes()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { _, mirror in
            mirror.maxBodyBytes = 1_000
            mirror.routes = routes
        }) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            // Head and 2,000 of 4,000 body bytes in one write: the proxy has read them before legacy can answer.
            let head = Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n".utf8)
            try await client.send(head + [UInt8](repeating: 0x63, count: 2_000))
            await client.waitForReceived(containing: "upload over the limit\n")
            let exchange = try #require(await proxy.sink.waitFor(count: 1).first)
            #expect(exchange.candidate == .skipped(.bodyTooLarge))
            #expect(try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "body_too_large")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.skipped, [("reason", "legacy_answered_early")]).totalValue == 0)
        }
    }
}
