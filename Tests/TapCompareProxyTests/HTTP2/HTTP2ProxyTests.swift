import AsyncHTTPClient
import MetricsTestKit
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

/// HTTP/2 on both sides of the proxy: h2c and h2-over-TLS clients beside HTTP/1.1 ones on one listener, HTTP/2
/// upstreams (a small gRPC-like responder), trailers passed through and recorded, and candidates that break HTTP/2.
@Suite("HTTP/2", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HTTP2ProxyTests {
    static let method = "/comments.v1.Comments/GetComment"
    static let messages: [[UInt8]] = [[0x08, 0x2a, 0x12, 0x05] + Array("hello".utf8), [0x08, 0x2b]]
    static let request = HTTP2TestServer.frame([0x08, 0x2a])
    static let grpcHeaders = [("content-type", "application/grpc"), ("te", "trailers")]

    /// A route that opts the gRPC method in to mirroring (gRPC calls are POSTs).
    static func mirrorMethod(_ mirror: inout MirrorConfiguration) throws {
        mirror.routes = RouteTable(
            entries: [.init(template: try RouteTemplate(parsing: "POST \(Self.method)"), value: RoutePolicy(mirrorWrites: true))],
            fallback: RoutePolicy()
        )
    }

    @Test("h2c client → proxy → h2c legacy: status, headers, body bytes and trailers are legacy's; the client's request trailers reach legacy and the candidate; the exchange has both sides' trailers and bodies")
    func h2cPassThroughWithTrailers() async throws {
        let legacy = try await HTTP2TestServer { _, _ in
            HTTP2TestServer.grpc(Self.messages, message: "fine", extraHeaders: [("x-legacy", "1")])
        }
        let candidate = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc([[0x08, 0x2a]], status: "5", message: "not found") }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", candidate: "h2c://127.0.0.1:\(candidate.port)", configure: { _, mirror in
            try? Self.mirrorMethod(&mirror)
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(
                path: Self.method, headers: Self.grpcHeaders, body: Self.request, trailers: [("x-checksum", "abc"), ("x-count", "1")]
            )
            #expect(response.status == "200")
            #expect(response.header("content-type") == "application/grpc")
            #expect(response.header("x-legacy") == "1")
            #expect(response.body == Self.messages.flatMap(HTTP2TestServer.frame))
            #expect(response.trailers.map(\.name) == ["grpc-status", "grpc-message"])
            #expect(response.trailer("grpc-status") == "0")
            #expect(response.trailer("grpc-message") == "fine")

            let exchanges = await proxy.sink.waitFor(count: 1)
            let exchange = try #require(exchanges.first)
            #expect(exchange.route == "POST \(Self.method)")
            #expect(Array(exchange.request.body.readableBytesView) == Self.request)
            #expect(exchange.legacy.trailers.map(\.name) == ["grpc-status", "grpc-message"])
            #expect(exchange.legacy.trailers.map(\.value) == ["0", "fine"])
            #expect(Array(exchange.legacy.body.readableBytesView) == Self.messages.flatMap(HTTP2TestServer.frame))
            guard case .response(let snapshot, _) = exchange.candidate else {
                Issue.record("expected the candidate's response, got \(exchange.candidate)")
                return
            }
            #expect(snapshot.trailers.map(\.value) == ["5", "not found"])
            #expect(Array(snapshot.body.readableBytesView) == HTTP2TestServer.frame([0x08, 0x2a]))
        }
        // Both upstreams got the call as HTTP/2 with its body, `te: trailers` and the proxy's headers.
        let sent = try #require(legacy.requests.first)
        #expect(sent.header(":path") == Self.method)
        #expect(sent.header("te") == "trailers")
        #expect(sent.body == Self.request)
        #expect(candidate.requests.first?.header("x-tap-compare") == "shadow")
        #expect(candidate.requests.first?.body == Self.request)
        for request in [sent, candidate.requests.first] {
            #expect(request?.trailers.map(\.name) == ["x-checksum", "x-count"])
            #expect(request?.trailers.map(\.value) == ["abc", "1"])
        }
    }

    @Test("HTTP/1.1 and h2c on the same listener, both to an h2c legacy; an HTTP/1.1 client gets trailers only with TE: trailers, else they are counted as dropped")
    func http1AndH2COnOneListener() async throws {
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", metrics: metrics) { proxy in
            let h1 = try await proxy.send(.POST, Self.method, headers: [("content-type", "application/grpc")], body: Self.request)
            #expect(h1.status == 200)
            #expect(h1.body == Self.messages.flatMap(HTTP2TestServer.frame))
            #expect(try metrics.expectCounter(ProxyMetrics.trailersDropped).totalValue == 1)

            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let h2 = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            #expect(h2.body == h1.body)
            #expect(h2.trailer("grpc-status") == "0")

            // HTTP/1.1 with TE: trailers: the body is chunked and the trailers follow it.
            let raw = try await RawTCP.connect(port: proxy.port)
            defer { Task { try await raw.close() } }
            try await raw.send(
                "POST \(Self.method) HTTP/1.1\r\nHost: proxy.test\r\nTE: trailers\r\ncontent-type: application/grpc\r\nContent-Length: \(Self.request.count)\r\n\r\n"
            )
            try await raw.send(Self.request)
            let received = String(decoding: await raw.waitForReceived(containing: "grpc-status: 0\r\n\r\n"), as: UTF8.self)
            #expect(received.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(received.lowercased().contains("transfer-encoding: chunked"))
            #expect(received.hasSuffix("0\r\ngrpc-status: 0\r\n\r\n"))
            #expect(try metrics.expectCounter(ProxyMetrics.trailersDropped).totalValue == 1)
        }
    }

    @Test("TLS listener: h2 by ALPN and http/1.1 on the same port, to an https legacy speaking HTTP/2 (protocol: http2)")
    func tlsALPN() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await HTTP2TestServer(tls: try Self.h2ServerContext(certificates)) { _, _ in HTTP2TestServer.grpc(Self.messages) }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "https://127.0.0.1:\(legacy.port)", configure: { proxy, _ in
            proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
            proxy.legacyTLS = UpstreamTLS(caFile: certificates.caFile)
            proxy.legacy.httpVersion = .http2
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port, tls: try certificates.makeClientConfiguration())
            defer { Task { try await client.close() } }
            #expect(client.negotiatedProtocol == "h2")
            let h2 = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            #expect(h2.status == "200")
            #expect(h2.body == Self.messages.flatMap(HTTP2TestServer.frame))
            #expect(h2.trailer("grpc-status") == "0")

            try await TLSTests.withTLSClient(trusting: certificates) { http1 in
                var request = HTTPClientRequest(url: "https://127.0.0.1:\(proxy.port)\(Self.method)")
                request.method = .POST
                request.body = .bytes(Self.request)
                let response = try await http1.execute(request, timeout: TestTiming.scaled(.seconds(30)))
                #expect(response.status == .ok)
                #expect(response.version == .http1_1)
                var body: [UInt8] = []
                for try await part in response.body { body += part.readableBytesView }
                #expect(body == Self.messages.flatMap(HTTP2TestServer.frame))
            }
        }
        #expect(legacy.requests.count == 2)
        #expect(legacy.requests.allSatisfy { $0.header(":scheme") == "https" })
    }

    @Test("legacy's body is streamed: the client has the first message while legacy still holds the rest")
    func streamedResponse() async throws {
        let rest = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let legacy = try await HTTP2TestServer { _, _ in
            .streamed(
                headers: [(":status", "200"), ("content-type", "application/grpc")], data: Self.messages.map(HTTP2TestServer.frame),
                trailers: [("grpc-status", "0")], rest: rest.futureResult
            )
        }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let firstData = client.channel.eventLoop.makePromise(of: Void.self)
            async let response = client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request, firstData: firstData)
            // Legacy sends the rest only once the client holds the first message: a proxy that buffered would hang here.
            try await firstData.futureResult.get()
            rest.succeed()
            let whole = try await response
            #expect(whole.body == Self.messages.flatMap(HTTP2TestServer.frame))
            #expect(whole.trailer("grpc-status") == "0")
        }
    }

    @Test("large bodies both ways (past the 64 KiB flow-control windows): every byte arrives, each way")
    func largeBodiesThroughFlowControl() async throws {
        let upload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let download = (0..<(3 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        let legacy = try await HTTP2TestServer { _, _ in
            .answer(headers: [(":status", "200")], data: stride(from: 0, to: download.count, by: 16_384).map { Array(download[$0..<min($0 + 16_384, download.count)]) }, trailers: [("x-done", "1")])
        }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(path: "/upload", body: upload)
            #expect(response.body.count == download.count)
            #expect(response.body == download)
            #expect(response.trailer("x-done") == "1")
        }
        #expect(legacy.requests.first?.body.count == upload.count)
        #expect(legacy.requests.first?.body == upload)
    }

    @Test("an HTTP/2 client in front of an HTTP/1.1 legacy: legacy's status, headers and body; legacy sees HTTP/1.1 with the client's body")
    func h2ClientToHTTP1Legacy() async throws {
        let legacy = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(status: 201, reason: "Created", headers: [("Content-Type", "application/json"), ("X-Legacy", "1")], body: Fixtures.json))
        }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(path: "/api/v1/comments", headers: [("content-type", "application/json")], body: Array("{}".utf8))
            #expect(response.status == "201")
            #expect(response.header("x-legacy") == "1")
            #expect(response.header("content-type") == "application/json")
            #expect(response.body == Fixtures.json)
            #expect(response.trailers.isEmpty)
        }
        let sent = try #require(legacy.requests.first)
        #expect(sent.head.version == .http1_1)
        #expect(sent.head.method == .POST)
        #expect(sent.head.uri == "/api/v1/comments")
        #expect(sent.body == Array("{}".utf8))
        #expect(sent.head.headers["X-Forwarded-Proto"] == ["http"])
    }

    @Test("a legacy that leaves after every answer (GOAWAY, close): the pool connects again and every call is answered")
    func legacyLeavingAfterEachAnswer() async throws {
        let legacy = try await HTTP2TestServer { request, _ in
            .answerThenLeave(headers: [(":status", "200")], data: [Array((request.header(":path") ?? "").utf8)], trailers: [("grpc-status", "0")])
        }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            for i in 0..<4 {
                let response = try await client.send(method: "GET", path: "/comments/\(i)")
                #expect(response.status == "200")
                #expect(response.body == Array("/comments/\(i)".utf8))
                #expect(response.trailer("grpc-status") == "0")
            }
        }
        #expect(legacy.connectionCount >= 4)
    }

    @Test("a slow candidate does not delay the client: its answer is held until the client has legacy's")
    func slowCandidate() async throws {
        let release = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages) }
        let candidate = try await HTTP2TestServer { _, _ in
            .answer(headers: [(":status", "200"), ("content-type", "application/grpc")], data: [HTTP2TestServer.frame([1])], trailers: [("grpc-status", "0")], hold: release.futureResult)
        }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", candidate: "h2c://127.0.0.1:\(candidate.port)", configure: { _, mirror in
            try? Self.mirrorMethod(&mirror)
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            #expect(response.trailer("grpc-status") == "0")
            // The candidate has the call and has not answered; the client already has its answer.
            _ = await pollUntil { !candidate.requests.isEmpty }
            #expect(proxy.sink.count == 0)
            release.succeed()
            let exchanges = await proxy.sink.waitFor(count: 1)
            guard case .response(let snapshot, _) = exchanges.first?.candidate else {
                Issue.record("expected the candidate's answer, got \(String(describing: exchanges.first?.candidate))")
                return
            }
            #expect(snapshot.trailers.map(\.value) == ["0"])
        }
    }

    @Test("a candidate that resets its stream or sends GOAWAY costs only the comparison (counted); the client's answer is intact", arguments: [true, false])
    func brokenCandidate(reset: Bool) async throws {
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages, message: "ok") }
        let candidate = try await HTTP2TestServer { _, _ in reset ? .resetStream : .goAway }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let metrics = TestMetrics()

        try await ProxyHarness.with(
            legacy: "h2c://127.0.0.1:\(legacy.port)", candidate: "h2c://127.0.0.1:\(candidate.port)", metrics: metrics,
            configure: { _, mirror in try? Self.mirrorMethod(&mirror) }
        ) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            for _ in 0..<2 {
                let response = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
                #expect(response.status == "200")
                #expect(response.body == Self.messages.flatMap(HTTP2TestServer.frame))
                #expect(response.trailers.map(\.value) == ["0", "ok"])
            }
            let exchanges = await proxy.sink.waitFor(count: 2)
            for exchange in exchanges {
                guard case .failed = exchange.candidate else {
                    Issue.record("expected a failed candidate, got \(exchange.candidate)")
                    continue
                }
            }
            #expect(try metrics.expectCounter(ProxyMetrics.candidateErrors, [("route", "POST \(Self.method)")]).totalValue == 2)
            let counted = try ["stream_reset", "closed_early", "http2_protocol"].map {
                try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "candidate"), ("reason", $0)]).totalValue
            }
            #expect(counted.reduce(0, +) == 2)
            if reset { #expect(counted[0] == 2) }
        }
    }

    @Test("a candidate that answers garbage instead of HTTP/2 costs only the comparison, counted as http2_protocol")
    func garbageCandidate() async throws {
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages) }
        let candidate = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(GarbageOnConnect()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { Task { try await legacy.shutdown(); try await candidate.close() } }
        let metrics = TestMetrics()

        try await ProxyHarness.with(
            legacy: "h2c://127.0.0.1:\(legacy.port)", candidate: "h2c://127.0.0.1:\(candidate.localAddress!.port!)", metrics: metrics,
            configure: { _, mirror in try? Self.mirrorMethod(&mirror) }
        ) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            #expect(response.body == Self.messages.flatMap(HTTP2TestServer.frame))
            #expect(response.trailer("grpc-status") == "0")
            let exchanges = await proxy.sink.waitFor(count: 1)
            guard case .failed(let reason, _) = exchanges.first?.candidate else {
                Issue.record("expected a failed candidate, got \(String(describing: exchanges.first?.candidate))")
                return
            }
            #expect(reason == UpstreamError.http2Protocol.description)
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "candidate"), ("reason", "http2_protocol")]).totalValue == 1)
        }
    }

    @Test("an HTTP/1.1 legacy's chunked trailers: to an HTTP/1.1 client that sent TE: trailers, and recorded with the exchange")
    func http1ChunkedTrailers() async throws {
        let raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n"
        let legacy = try await ScriptedUpstream { _ in .raw(Array(raw.utf8)) }
        let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "hello")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            try await client.send("GET /text HTTP/1.1\r\nHost: proxy.test\r\nTE: trailers\r\n\r\n")
            let received = String(decoding: await client.waitForReceived(containing: "x-checksum: abc\r\n\r\n"), as: UTF8.self)
            #expect(received.hasSuffix("5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n"), "\(received)")
            let exchanges = await proxy.sink.waitFor(count: 1)
            #expect(exchanges.first?.legacy.trailers.map(\.name) == ["x-checksum"])
            #expect(exchanges.first?.legacy.trailers.map(\.value) == ["abc"])
        }
    }

    @Test("graceful shutdown with an HTTP/2 client connected: GOAWAY, the connection closed, shutdown completes")
    func gracefulShutdownClosesHTTP2Connections() async throws {
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages) }
        defer { Task { try await legacy.shutdown() } }
        var connected: HTTP2TestClient?
        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            connected = client
            let response = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            #expect(response.trailer("grpc-status") == "0")
        }
        // The proxy's run() returned only after every client connection closed; the client sees it closed.
        let client = try #require(connected)
        try await client.channel.closeFuture.get()
        #expect(!client.channel.isActive)
    }

    @Test("many concurrent streams on one client connection, legacy allowing 2 streams per connection: every answer right, never more than 2 streams at once on one legacy connection")
    func concurrentStreamsAgainstLimitedLegacy() async throws {
        let legacy = try await HTTP2TestServer(maxConcurrentStreams: 2) { request, _ in
            HTTP2TestServer.grpc([Array((request.header(":path") ?? "").utf8)])
        }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)") { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            try await withThrowingTaskGroup(of: (Int, HTTP2TestClient.Response).self) { group in
                for i in 0..<20 {
                    group.addTask { (i, try await client.send(path: "/comments.v1.Comments/Get\(i)", headers: Self.grpcHeaders, body: Self.request)) }
                }
                for try await (i, response) in group {
                    #expect(response.body == HTTP2TestServer.frame(Array("/comments.v1.Comments/Get\(i)".utf8)))
                    #expect(response.trailer("grpc-status") == "0")
                }
            }
        }
        #expect(legacy.requests.count == 20)
        #expect(legacy.maxOpenStreams <= 2)
    }

    @Test("listener.max_concurrent_streams reaches the client as SETTINGS_MAX_CONCURRENT_STREAMS, twice max_header_bytes (the decoding ceiling; the limit itself is a 431 per stream) as SETTINGS_MAX_HEADER_LIST_SIZE")
    func listenerSettings() async throws {
        let legacy = try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc(Self.messages) }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", configure: { proxy, _ in
            proxy.maxConcurrentStreams = 7
            proxy.maxRequestHeadBytes = 16 << 10
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            // A call's round trip: the server's SETTINGS came first on the connection.
            _ = try await client.send(path: Self.method, headers: Self.grpcHeaders, body: Self.request)
            let settings = client.serverSettings
            #expect(settings.last { $0.parameter == .maxConcurrentStreams }?.value == 7)
            #expect(settings.last { $0.parameter == .maxHeaderListSize }?.value == 32 << 10)
        }
    }

    @Test("an HTTP/2 legacy silent past upstream.read_timeout: the client gets 504, counted as read_timeout")
    func legacyReadTimeout() async throws {
        let never = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        defer { never.succeed() }
        let legacy = try await HTTP2TestServer { _, _ in
            .answer(headers: [(":status", "200")], data: [[1]], trailers: [], hold: never.futureResult)
        }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()

        try await ProxyHarness.with(legacy: "h2c://127.0.0.1:\(legacy.port)", metrics: metrics, configure: { proxy, _ in
            proxy.readTimeout = TestTiming.scaled(.milliseconds(200))
        }) { proxy in
            let client = try await HTTP2TestClient.connect(port: proxy.port)
            defer { Task { try await client.close() } }
            let response = try await client.send(method: "GET", path: "/slow")
            #expect(response.status == "504")
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "read_timeout")]).totalValue == 1)
        }
    }

    // MARK: Helpers

    /// Writes bytes that are no HTTP/2 frame (an HTTP/1.1 answer) as soon as a client connects.
    final class GarbageOnConnect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelActive(context: ChannelHandlerContext) {
            let bytes = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8) + [UInt8](repeating: 0xff, count: 64)
            context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            context.fireChannelActive()
        }
    }

    static func h2ServerContext(_ certificates: TestCertificates) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.keyFile, format: .pem))
        )
        configuration.applicationProtocols = ["h2"]
        return try NIOSSLContext(configuration: configuration)
    }
}
