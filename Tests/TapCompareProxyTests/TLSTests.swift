import AsyncHTTPClient
import MetricsTestKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

/// `https://` upstreams (trusted by a CA file, untrusted, insecure) and TLS on the listener, against
/// certificates each test generates itself.
@Suite("TLS", .timeLimit(.minutes(TestTiming.minutes(1))))
struct TLSTests {
    static let json = ScriptedResponse(headers: [("Content-Type", "application/json"), ("X-Legacy", "1")], body: Fixtures.json)

    // MARK: Upstreams

    @Test("an https legacy trusted through ca_file: the client gets legacy's exact bytes, by IP or by name (SNI)", arguments: ["127.0.0.1", "localhost"])
    func httpsLegacyWithCAFile(host: String) async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }

        try await ProxyHarness.with(legacy: "https://\(host):\(legacy.port)", configure: { proxy, _ in
            proxy.legacyTLS = UpstreamTLS(caFile: certificates.caFile)
        }) { proxy in
            for _ in 0..<3 {
                let response = try await proxy.send(.GET, "/api/v1/comments/42")
                #expect(response.status == 200)
                #expect(response.body == Fixtures.json)
                #expect(response.headers["X-Legacy"] == ["1"])
            }
        }
        // Keep-alive works over TLS: one handshake, one connection for the three requests.
        #expect(legacy.connectionCount == 1)
        #expect(legacy.requests.first?.head.headers["Host"] == ["\(host):\(legacy.port)"])
    }

    @Test("an https candidate trusted through ca_file: the exchange carries the candidate's response")
    func httpsCandidateWithCAFile() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        let candidate = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: #"{"id":42,"text":"hullo","tags":["a","b"]}"#))
        }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, configure: { _, mirror in
            mirror.candidateTLS = UpstreamTLS(caFile: certificates.caFile)
        }) { proxy in
            let response = try await proxy.send(.GET, "/api/v1/comments/42")
            #expect(response.body == Fixtures.json)
            let exchanges = await proxy.sink.waitFor(count: 1)
            guard case .response(let snapshot, _) = exchanges.first?.candidate else {
                Issue.record("expected the candidate's response, got \(String(describing: exchanges.first?.candidate))")
                return
            }
            #expect(snapshot.status == .ok)
            #expect(String(buffer: snapshot.body) == #"{"id":42,"text":"hullo","tags":["a","b"]}"#)
        }
        #expect(candidate.requests.first?.head.headers["X-Tap-Compare"] == ["shadow"])
    }

    @Test("legacy's certificate from an untrusted CA: the client gets a 502 naming the TLS handshake, counted as tls_handshake; insecure: true then succeeds")
    func untrustedLegacy() async throws {
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Some other CA")
        defer { certificates.remove(); otherCA.remove() }
        let legacy = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }

        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.legacyTLS = UpstreamTLS(caFile: otherCA.caFile)
        }) { proxy in
            let response = try await proxy.send(.GET, "/api/v1/comments/42")
            #expect(response.status == 502)
            #expect(String(decoding: response.body, as: UTF8.self) == "502 Bad Gateway: legacy upstream TLS handshake failed\n")
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "tls_handshake")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "closed_early")]).totalValue == 0)
        }
        #expect(legacy.requests.isEmpty)
        // Legacy's side of the handshake fails when the proxy's alert reaches it, which may be after the 502.
        try await eventually("legacy's TLS server saw the handshake fail") { legacy.events.contains("tls_failed") }

        try await ProxyHarness.with(legacy: legacy.url, configure: { proxy, _ in
            proxy.legacyTLS = UpstreamTLS(insecure: true)
        }) { proxy in
            let response = try await proxy.send(.GET, "/api/v1/comments/42")
            #expect(response.status == 200)
            #expect(response.body == Fixtures.json)
        }
    }

    @Test("the system trust store (no ca_file) does not trust a private CA")
    func systemTrustStoreRejectsPrivateCA() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let response = try await proxy.send(.GET, "/")
            #expect(response.status == 502)
        }
    }

    @Test("https:// to a plain-HTTP legacy fails as a TLS handshake, not as a hang or a crash")
    func httpsToPlainHTTP() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: "https://127.0.0.1:\(legacy.port)", metrics: metrics) { proxy in
            let response = try await proxy.send(.GET, "/")
            #expect(response.status == 502)
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "legacy"), ("reason", "tls_handshake")]).totalValue == 1)
        }
    }

    @Test("the candidate's certificate from an untrusted CA: a counted candidate error, the client never notices; insecure: true then compares")
    func untrustedCandidate() async throws {
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Some other CA")
        defer { certificates.remove(); otherCA.remove() }
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        let candidate = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, metrics: metrics, configure: { _, mirror in
            mirror.candidateTLS = UpstreamTLS(caFile: otherCA.caFile)
        }) { proxy in
            let response = try await proxy.send(.GET, "/api/v1/comments/42")
            #expect(response.status == 200)
            #expect(response.body == Fixtures.json)
            let exchanges = await proxy.sink.waitFor(count: 1)
            guard case .failed(let reason, _) = exchanges.first?.candidate else {
                Issue.record("expected a failed candidate call, got \(String(describing: exchanges.first?.candidate))")
                return
            }
            #expect(reason == "TLS handshake failed")
            #expect(try metrics.expectCounter(ProxyMetrics.upstreamErrors, [("side", "candidate"), ("reason", "tls_handshake")]).totalValue == 1)
            #expect(try metrics.expectCounter(ProxyMetrics.candidateErrors, [("route", "GET /api/v1/comments/{id}")]).totalValue == 1)
        }
        #expect(candidate.requests.isEmpty)

        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, configure: { _, mirror in
            mirror.candidateTLS = UpstreamTLS(insecure: true)
        }) { proxy in
            _ = try await proxy.send(.GET, "/api/v1/comments/42")
            let exchanges = await proxy.sink.waitFor(count: 1)
            guard case .response(let snapshot, _) = exchanges.first?.candidate else {
                Issue.record("expected the candidate's response, got \(String(describing: exchanges.first?.candidate))")
                return
            }
            #expect(Array(buffer: snapshot.body) == Fixtures.json)
        }
    }

    @Test("a ca_file that is not PEM makes the proxy refuse to start, naming the file")
    func badCAFileStopsStart() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        // The key file is PEM, but holds no certificate.
        await #expect(throws: TLSFileError.self) {
            try await ProxyHarness.with(legacy: "https://127.0.0.1:1", configure: { proxy, _ in
                proxy.legacyTLS = UpstreamTLS(caFile: certificates.keyFile)
            }) { _ in }
        }
    }

    // MARK: Listener

    @Test("a TLS listener: a client trusting the CA gets legacy's response, and legacy sees X-Forwarded-Proto: https")
    func tlsListener() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        let candidate = try await ScriptedUpstream { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }

        try await ProxyHarness.with(legacy: legacy.url, candidate: candidate.url, configure: { proxy, _ in
            proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
        }) { proxy in
            try await Self.withTLSClient(trusting: certificates) { client in
                let response = try await Self.get(client, "https://127.0.0.1:\(proxy.port)/api/v1/comments/42")
                #expect(response.status == 200)
                #expect(response.body == Fixtures.json)
            }
            _ = await proxy.sink.waitFor(count: 1)
        }
        #expect(legacy.requests.first?.head.headers["X-Forwarded-Proto"] == ["https"])
        #expect(candidate.requests.first?.head.headers["X-Forwarded-Proto"] == ["https"])
    }

    @Test("plain HTTP sent to a TLS listener is refused without harm; the next TLS request is served")
    func plainHTTPToTLSListener() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }

        let metrics = TestMetrics()
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
        }) { proxy in
            let bytes = try await RawHTTPClient.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: proxy.port)
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "tls_handshake")]).totalValue == 1)
            // Whatever came back (a TLS alert at most), it is not an HTTP response and legacy was not called.
            #expect(RawResponse(parsing: bytes) == nil)
            #expect(legacy.requests.isEmpty)
            #expect(proxy.server.isReady)

            try await Self.withTLSClient(trusting: certificates) { client in
                for _ in 0..<2 {
                    let response = try await Self.get(client, "https://localhost:\(proxy.port)/after")
                    #expect(response.status == 200)
                    #expect(response.body == Fixtures.json)
                }
            }
            // Completed handshakes are not counted; the one failure stays one.
            #expect(try metrics.expectCounter(ProxyMetrics.clientRefused, [("reason", "tls_handshake")]).totalValue == 1)
        }
        #expect(legacy.requests.map(\.head.uri) == ["/after", "/after"])
    }

    @Test("a client that does not trust the listener's CA cannot complete a request; the proxy keeps serving")
    func untrustingClient() async throws {
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Some other CA")
        defer { certificates.remove(); otherCA.remove() }
        let legacy = try await ScriptedUpstream { _ in .respond(Self.json) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url, configure: { proxy, _ in
            proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
        }) { proxy in
            try await Self.withTLSClient(trusting: otherCA) { client in
                await #expect(throws: (any Error).self) {
                    _ = try await Self.get(client, "https://127.0.0.1:\(proxy.port)/")
                }
            }
            try await Self.withTLSClient(trusting: certificates) { client in
                let response = try await Self.get(client, "https://127.0.0.1:\(proxy.port)/")
                #expect(response.status == 200)
            }
        }
        #expect(legacy.requests.count == 1)
    }

    // MARK: Probe

    @Test("the classification probe reads an https upstream with the same ca_file, and refuses an untrusted one")
    func probeOverTLS() async throws {
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Some other CA")
        defer { certificates.remove(); otherCA.remove() }
        let upstream = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in .respond(Self.json) }
        defer { Task { try await upstream.shutdown() } }
        let request = RequestSnapshot(method: .GET, uri: "/api/v1/comments/42", headers: HTTPHeaders())
        let url = try UpstreamURL(parsing: upstream.url)

        // The handshake is part of connecting: a guard against a hang, long enough for a loaded machine.
        let trusted = try HTTPUpstreamProbe(
            configuration: .init(upstream: url, connectTimeout: TestTiming.localConnectAmount, timeout: TestTiming.scaled(.seconds(5)), tls: UpstreamTLS(caFile: certificates.caFile)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton
        )
        let (response, _) = try await trusted.fetch(request, purpose: "recheck")
        #expect(response.status == .ok)
        #expect(Array(buffer: response.body) == Fixtures.json)
        try await trusted.shutdown()

        let untrusted = try HTTPUpstreamProbe(configuration: .init(upstream: url, tls: UpstreamTLS(caFile: otherCA.caFile)), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        await #expect(throws: (any Error).self) { _ = try await untrusted.fetch(request, purpose: "recheck") }
        try await untrusted.shutdown()

        #expect(throws: TLSFileError.self) {
            _ = try HTTPUpstreamProbe(configuration: .init(upstream: url, tls: UpstreamTLS(caFile: certificates.directory + "/missing.pem")), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        }
    }

    // MARK: Pure

    @Test("https URLs: default port 443, Host without it, SNI only for names")
    func httpsURLs() throws {
        let named = try UpstreamURL(parsing: "https://legacy.internal/base/")
        #expect(named.usesTLS)
        #expect(named.port == 443)
        #expect(named.hostHeader == "legacy.internal")
        #expect(named.tlsServerName == "legacy.internal")
        #expect(named.description == "https://legacy.internal/base")
        let ip = try UpstreamURL(parsing: "https://10.0.0.7:8443")
        #expect(ip.hostHeader == "10.0.0.7:8443")
        #expect(ip.tlsServerName == nil)
        #expect(try UpstreamURL(parsing: "https://[::1]:8443").tlsServerName == nil)
        #expect(try UpstreamURL(parsing: "http://legacy.internal").port == 80)
        #expect(try UpstreamURL(parsing: "https://legacy.internal:443").hostHeader == "legacy.internal")
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "ftp://legacy.internal") }
    }

    // MARK: Helpers

    static func withTLSClient(trusting certificates: TestCertificates, _ body: (HTTPClient) async throws -> Void) async throws {
        // The handshake is part of connecting; a sanitizer build's TLS is several times slower.
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: TestTiming.scaled(.seconds(5)), read: TestTiming.scaled(.seconds(30)))
        )
        configuration.tlsConfiguration = try certificates.makeClientConfiguration()
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            try await body(client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> (status: UInt, body: [UInt8]) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: TestTiming.scaled(.seconds(30)))
        var bytes: [UInt8] = []
        for try await part in response.body { bytes += part.readableBytesView }
        return (response.status.code, bytes)
    }
}
