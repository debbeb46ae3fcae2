import MetricsTestKit
import NIOCore
import NIOHTTP2
import NIOPosix
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// The HTTP/2 listener's edges: request heads over the HTTP/1.1 limits refused on their stream alone, clients that
/// break the protocol, and a client that stops reading.
@Suite("HTTP/2 listener edges", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HTTP2ListenerEdgeTests {
    static let h2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let emptySettings = RawHTTP2Frame.encode(type: RawHTTP2Frame.settings, streamID: 0, payload: [])

    /// A legacy answering every call with 200 and one byte.
    static func oneByteLegacy() async throws -> HTTP2TestServer {
        try await HTTP2TestServer { _, _ in .answer(headers: [(":status", "200")], data: [[1]], trailers: []) }
    }

    /// Runs `body` with a raw TCP connection to a proxy (counting into `metrics`) in front of ``oneByteLegacy()``.
    /// - Returns: the requests legacy received.
    static func withRawClient(
        metrics: TestMetrics, configure: @escaping (inout ProxyConfiguration) -> Void = { _ in }, _ body: (RawTCP) async throws -> Void
    ) async throws -> [HTTP2TestServer.Request] {
        let legacy = try await Self.oneByteLegacy()
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", metrics: metrics, configure: { proxy, _ in configure(&proxy) }) { proxy in
            let raw = try await RawTCP.connect(port: proxy.port)
            defer { Task { try await raw.close() } }
            try await body(raw)
        }
        return legacy.requests
    }

    @Test("a request head over listener.max_headers or max_header_bytes: 431 on that stream alone (a stream in progress beside it is answered), counted as headers_too_large, never forwarded")
    func oversizedHeadRefusedOnItsStream() async throws {
        let release = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let legacy = try await HTTP2TestServer { request, _ in
            .answer(headers: [(":status", "200")], data: [Array((request.header(":path") ?? "").utf8)], trailers: [("grpc-status", "0")],
                    hold: request.header(":path") == "/slow" ? release.futureResult : nil)
        }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", metrics: metrics, configure: { proxy, _ in
            proxy.maxRequestHeaders = 10
            proxy.maxRequestHeadBytes = 4_096
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            // One round trip first: the client has acknowledged the proxy's SETTINGS, so its decoding ceiling applies
            // (before the acknowledgement NIOHTTP2 decodes at most its 16 KiB default).
            #expect(try await client.send(method: "GET", path: "/warm").status == "200")
            async let slow = client.send(method: "GET", path: "/slow")
            try await eventually("legacy holds the slow call") { legacy.requests.contains { $0.header(":path") == "/slow" } }

            let tooMany = try await client.send(method: "GET", path: "/many", headers: (0..<11).map { ("x-field-\($0)", "1") })
            #expect(tooMany.status == "431")
            #expect(String(decoding: tooMany.body, as: UTF8.self).hasPrefix("431 Request Header Fields Too Large"))
            #expect(tooMany.header("content-type") == "text/plain; charset=utf-8")
            #expect(tooMany.header("connection") == nil)
            // 5,000 bytes of value: over 4,096, under the decoding ceiling (16 KiB).
            let tooBig = try await client.send(path: "/big", headers: [("x-big", String(repeating: "b", count: 5_000))], body: [1, 2, 3])
            #expect(tooBig.status == "431")
            // Exactly at both limits: forwarded.
            let atLimit = try await client.send(method: "GET", path: "/ten", headers: (0..<10).map { ("x-field-\($0)", "1") })
            #expect(atLimit.status == "200")
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "headers_too_large")]).totalValue == 2)

            release.succeed()
            let answered = try await slow
            #expect(answered.body == Array("/slow".utf8))
            #expect(answered.trailer("grpc-status") == "0")
        }
        #expect(Set(legacy.requests.compactMap { $0.header(":path") }) == ["/warm", "/slow", "/ten"])
    }

    @Test("a refused client still sending its body: 431, then RST_STREAM NO_ERROR; the connection goes on")
    func refusedWhileSendingIsReset() async throws {
        let legacy = try await Self.oneByteLegacy()
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", configure: { proxy, _ in
            proxy.maxRequestHeaders = 2
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            #expect(try await client.send(method: "GET", path: "/warm").status == "200")
            let reset = client.channel.eventLoop.makePromise(of: HTTP2ErrorCode.self)
            let refused = try await client.send(
                path: "/upload", headers: [("a", "1"), ("b", "2"), ("c", "3")], body: [1, 2, 3], endStream: false, streamReset: reset
            )
            #expect(refused.status == "431")
            #expect(try await reset.futureResult.get() == .noError)
            #expect(try await client.send(method: "GET", path: "/after").status == "200")
        }
        #expect(legacy.requests.map { $0.header(":path") } == ["/warm", "/after"])
    }

    @Test("a header block past the decoding ceiling (twice max_header_bytes): GOAWAY PROTOCOL_ERROR, counted as headers_too_large; nothing forwarded")
    func headerBlockPastCeilingEndsConnection() async throws {
        let metrics = TestMetrics()
        let forwarded = try await Self.withRawClient(metrics: metrics, configure: { $0.maxRequestHeadBytes = 4_096 }) { raw in
            try await raw.send(Self.h2Preface + Self.emptySettings)
            // The proxy's SETTINGS acknowledged: its ceiling (16 KiB here) applies.
            try await eventually("the proxy sent its SETTINGS") { RawHTTP2Frame.parse(raw.received).contains { $0.type == RawHTTP2Frame.settings } }
            try await raw.send(RawHTTP2Frame.encode(type: RawHTTP2Frame.settings, flags: 0x1, streamID: 0, payload: []))
            // `x-huge` with a 20,000-byte value: HEADERS (END_STREAM) with 16,000 bytes of the block, CONTINUATION
            // (END_HEADERS) with the rest.
            let block = Self.get + [0x00, 0x06] + Array("x-huge".utf8) + Self.hpackLength(20_000) + [UInt8](repeating: 0x61, count: 20_000)
            try await raw.send(
                RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x1, streamID: 1, payload: Array(block[..<16_000]))
                    + RawHTTP2Frame.encode(type: RawHTTP2Frame.continuation, flags: 0x4, streamID: 1, payload: Array(block[16_000...]))
            )
            let received = await raw.waitForClose()
            #expect(raw.isClosed)
            let goAway = RawHTTP2Frame.parse(received).first { $0.type == RawHTTP2Frame.goAway }
            #expect(goAway?.errorCode == RawHTTP2Frame.protocolError, "frames received: \(RawHTTP2Frame.parse(received))")
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "headers_too_large")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "http2_protocol")]).totalValue == 0)
        }
        #expect(forwarded.isEmpty)
    }

    /// HPACK: `GET`, `http`, `/` (static indexes 2, 6, 4), `:authority: proxy.test` (a literal with indexed name 1).
    static let get: [UInt8] = [0x82, 0x86, 0x84, 0x01, 0x0a] + Array("proxy.test".utf8)

    /// An HPACK string length (not Huffman-coded): a 7-bit prefix, then 7 bits a byte (RFC 7541 §5.1).
    static func hpackLength(_ length: Int) -> [UInt8] {
        guard length >= 127 else { return [UInt8(length)] }
        var bytes: [UInt8] = [0x7f]
        var rest = length - 127
        while rest >= 128 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    /// A malformed start of an HTTP/2 connection, after the client magic.
    enum Malformed: String, CaseIterable, CustomTestStringConvertible {
        /// DATA on stream 0 (RFC 9113 §6.1).
        case dataOnStreamZero
        /// HEADERS on stream 0 (RFC 9113 §6.2).
        case headersOnStreamZero
        /// A PING where the preface's SETTINGS frame must be (RFC 9113 §3.4).
        case noSettingsInPreface

        var testDescription: String { self.rawValue }

        var bytes: [UInt8] {
            switch self {
            case .dataOnStreamZero:
                HTTP2ListenerEdgeTests.emptySettings + RawHTTP2Frame.encode(type: RawHTTP2Frame.data, streamID: 0, payload: [1, 2, 3])
            case .headersOnStreamZero:
                // END_STREAM | END_HEADERS, `:method: GET` (HPACK static index 2).
                HTTP2ListenerEdgeTests.emptySettings + RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: 0, payload: [0x82])
            case .noSettingsInPreface:
                RawHTTP2Frame.encode(type: RawHTTP2Frame.ping, streamID: 0, payload: [UInt8](repeating: 0, count: 8))
            }
        }
    }

    @Test("malformed frames from an HTTP/2 client: GOAWAY with PROTOCOL_ERROR, the connection closed, a counted refusal (http2_protocol); nothing reaches legacy", arguments: Malformed.allCases)
    func malformedClientFrames(_ malformed: Malformed) async throws {
        let metrics = TestMetrics()
        let forwarded = try await Self.withRawClient(metrics: metrics) { raw in
            try await raw.send(Self.h2Preface + malformed.bytes)
            let received = await raw.waitForClose()
            #expect(raw.isClosed)
            let goAway = RawHTTP2Frame.parse(received).first { $0.type == RawHTTP2Frame.goAway }
            #expect(goAway?.errorCode == RawHTTP2Frame.protocolError, "frames received: \(RawHTTP2Frame.parse(received))")
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "http2_protocol")]).totalValue >= 1)
        }
        #expect(forwarded.isEmpty)
    }

    @Test("a malformed request on one stream (an uppercase header name): RST_STREAM PROTOCOL_ERROR on it, counted; the next stream on the connection is answered")
    func malformedStreamIsReset() async throws {
        let metrics = TestMetrics()
        let forwarded = try await Self.withRawClient(metrics: metrics) { raw in
            let get = Self.get
            // A literal field with a new name, not indexed: `X-Bad: 1` (HTTP/2 field names are lowercase, §8.2.1).
            let uppercase: [UInt8] = [0x00, 0x05] + Array("X-Bad".utf8) + [0x01] + Array("1".utf8)
            try await raw.send(
                Self.h2Preface + Self.emptySettings
                    + RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: 1, payload: get + uppercase)
                    + RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: 3, payload: get)
            )
            let answered = await pollUntil {
                RawHTTP2Frame.parse(raw.received).contains { $0.streamID == 3 && $0.type == RawHTTP2Frame.headers }
            }
            #expect(answered, "frames received: \(RawHTTP2Frame.parse(raw.received))")
            let frames = RawHTTP2Frame.parse(raw.received)
            #expect(frames.contains { $0.streamID == 1 && $0.type == RawHTTP2Frame.rstStream && $0.errorCode == RawHTTP2Frame.protocolError })
            #expect(!frames.contains { $0.type == RawHTTP2Frame.goAway })
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "http2_protocol")]).totalValue == 1)
        }
        #expect(forwarded.count == 1)
    }

    @Test("a client that stops reading holds legacy back: while another client downloads the same 1 MiB whole, legacy has sent the stopped one no more than a few flow-control windows; reading again, it gets every byte")
    func stoppedReaderHoldsLegacyBack() async throws {
        // Small, so the test stays light beside the other suites on a loaded 2-core machine; still 16 windows.
        let total = 1 << 20
        let legacy = try await HTTP2TestServer { _, _ in .download(total: total, frameSize: 16_384) }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let stopped = try await HTTP2TestClient.connect(port: proxy.port)
            let reading = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await stopped.close(); try await reading.close() } }
            let paused = stopped.channel.eventLoop.makePromise(of: (any Channel).self)
            async let held = stopped.send(method: "GET", path: "/stopped", pausedReads: paused)
            let stream = try await paused.futureResult.get()
            try await eventually("legacy is sending the stopped client's download") { legacy.bytesSent(path: "/stopped") > 0 }

            // A proxy that buffered would read the stopped download from legacy at least as fast as this one, which
            // also has to reach its client.
            let whole = try await reading.send(method: "GET", path: "/reading")
            #expect(whole.body.count == total)
            let sentWhileStopped = legacy.bytesSent(path: "/stopped")
            // The client's window (64 KiB), the stream's write buffer, legacy's window to the proxy (64 KiB).
            #expect(sentWhileStopped <= 384 << 10, "legacy sent \(sentWhileStopped) bytes to a client that reads nothing")

            // Turning `autoRead` on does not read by itself (HTTP2StreamChannel): one read starts it.
            try await stream.setOption(ChannelOptions.autoRead, value: true).get()
            stream.read()
            let response = try await held
            #expect(response.body.count == total)
            #expect(response.body == (0..<total).map(HTTP2TestServer.downloadByte))
        }
        #expect(legacy.bytesSent(path: "/stopped") == total)
    }
}
