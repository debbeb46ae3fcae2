import AsyncHTTPClient
import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

/// A proxy started in-process on a free port in front of scripted upstreams, with a recording sink.
struct ProxyHarness {
    let server: ProxyServer
    let sink: RecordingExchangeSink
    let port: Int
    let client: HTTPClient

    var url: String { "http://127.0.0.1:\(self.port)" }

    /// Runs `body` with a proxy in front of `legacy` (and `candidate`), then shuts the proxy down gracefully.
    static func with<T>(
        legacy: String,
        candidate: String? = nil,
        metrics: (any MetricsFactory)? = nil,
        configure: (inout ProxyConfiguration, inout MirrorConfiguration) -> Void = { _, _ in },
        _ body: (ProxyHarness) async throws -> T
    ) async throws -> T {
        var configuration = ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: legacy))
        var mirror = MirrorConfiguration(candidate: try candidate.map { try UpstreamURL(parsing: $0) }, sampleRate: 1)
        // The defaults' guards against a hang, stretched for slow builds; a test that checks a timeout sets its own.
        configuration.connectTimeout = TestTiming.localConnectAmount
        mirror.connectTimeout = TestTiming.localConnectAmount
        mirror.timeout = TestTiming.scaled(mirror.timeout)
        configure(&configuration, &mirror)
        let sink = RecordingExchangeSink()
        var logger = Logger(label: "tapcompare.proxy.test")
        logger.logLevel = .critical
        let server = ProxyServer(
            configuration: configuration,
            mirror: mirror,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            sink: sink,
            metricsFactory: metrics ?? NOOPMetricsHandler.instance
        )
        let task = Task { try await server.run() }
        let address = try await server.boundAddress()
        // `connect` also bounds the wait for a pooled connection: generous, and scaled for sanitizer builds. 64
        // connections per host so a test's flood of concurrent requests is really concurrent.
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TestTiming.scaled(.seconds(20)), read: TestTiming.scaled(.seconds(30)))
        )
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        clientConfiguration.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        let harness = ProxyHarness(server: server, sink: sink, port: address.port!, client: client)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            task.cancel()
            try await task.value
            return result
        } catch {
            try? await client.shutdown()
            task.cancel()
            try? await task.value
            throw error
        }
    }

    /// Sends one request through the proxy and collects the whole response.
    func send(
        _ method: HTTPMethod = .GET,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> (status: UInt, headers: HTTPHeaders, body: [UInt8]) {
        var request = HTTPClientRequest(url: self.url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await self.client.execute(request, timeout: TestTiming.scaled(.seconds(30)))
        var bytes: [UInt8] = []
        for try await part in response.body { bytes += part.readableBytesView }
        return (response.status.code, response.headers, bytes)
    }
}

/// Upstream answers used across the suites.
enum Fixtures {
    static let json = Array(#"{"id":42,"text":"hello","tags":["a","b"]}"#.utf8)
    static let binary: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    /// `gzip -c` of "hello hello hello hello\n" (the proxy must pass it through still encoded).
    static let gzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40,
        0x27, 0xb9, 0x00, 0x00, 0x88, 0x59, 0x0b, 0x18, 0x00, 0x00, 0x00,
    ]
}
