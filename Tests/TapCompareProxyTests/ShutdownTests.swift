import AsyncHTTPClient
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport

@Suite("Graceful shutdown", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ShutdownTests {
    @Test("a shutdown asked for while the proxy waits for what it listens after (in serve, the admin listener's bind) ends it without ever listening")
    func shutdownBeforeListening() async throws {
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "tapcompare.proxy.test")
        logger.logLevel = .critical
        let server = ProxyServer(
            configuration: ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: "http://127.0.0.1:9")),
            mirror: MirrorConfiguration(candidate: nil, sampleRate: 0),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            sink: RecordingExchangeSink(),
            metricsFactory: NOOPMetricsHandler.instance,
            listensAfter: {
                startedContinuation.yield()
                // What it waits for (the admin listener's bind, in serve) completes once the shutdown reached it.
                try await gracefulShutdown()
            }
        )
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        let running = Task { try await group.run() }
        for await _ in started { break }
        // SIGTERM now, while the proxy has not listened yet.
        await group.triggerGracefulShutdown()
        try await running.value
        await #expect(throws: (any Error).self, "the proxy never listened") { try await server.boundAddress() }
        #expect(server.localAddress == nil)
        #expect(!server.isReady)
    }

    @Test("shutdown stops accepting, finishes the in-flight legacy request and waits for the candidate call")
    func graceful() async throws {
        let legacy = try await ScriptedUpstream { _ in .sleep(.milliseconds(300), then: ScriptedResponse(body: "legacy")) }
        let candidate = try await ScriptedUpstream { _ in .sleep(.milliseconds(600), then: ScriptedResponse(body: "candidate")) }
        defer { Task { try await legacy.shutdown(); try await candidate.shutdown() } }
        let sink = RecordingExchangeSink()
        let server = ProxyServer(
            configuration: ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: legacy.url), connectTimeout: TestTiming.localConnectAmount),
            mirror: MirrorConfiguration(
                candidate: try UpstreamURL(parsing: candidate.url), sampleRate: 1,
                timeout: TestTiming.scaled(.seconds(5)), connectTimeout: TestTiming.localConnectAmount
            ),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test"),
            sink: sink
        )
        let run = Task { try await server.run() }
        let port = try await server.boundAddress().port!
        #expect(server.isReady)

        let request = Task {
            try RawResponse(parsing: await RawHTTPClient.exchange("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: port))
        }
        await legacy.waitUntil { $0.requestCount == 1 }
        run.cancel()
        let response = try await request.value
        #expect(response?.status == 200)
        #expect(response?.body == Array("legacy".utf8))
        try await run.value
        // run() returned only after the candidate answered and the exchange was handed off. (Not the candidate
        // server's own count of answers: it counts when its write completes, which may be after the proxy read it.)
        #expect(sink.count == 1)
        guard case .response(let answer, _)? = sink.recorded.first?.candidate else {
            Issue.record("expected the candidate's answer in the exchange, got \(String(describing: sink.recorded.first?.candidate))")
            return
        }
        #expect(answer.body == ByteBuffer(string: "candidate"))
        #expect(!server.isReady)
        await #expect(throws: (any Error).self) {
            _ = try await RawHTTPClient.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: port)
        }
    }

    @Test("shutdown closes an idle keep-alive connection at once and answers a busy one with Connection: close, then closes it")
    func keepAliveConnections() async throws {
        // Legacy holds the busy request's answer until the shutdown has reached every connection, so the answer
        // is the one a draining proxy gives; answering after a fixed delay raced the shutdown on a loaded machine.
        let released = NIOLockedValueBox(false)
        let legacy = try await ScriptedUpstream { head in
            guard head.uri == "/slow" else { return .respond(ScriptedResponse(body: "fast")) }
            return .work { _ in
                _ = await pollUntil(timeout: .seconds(20)) { released.withLockedValue { $0 } }
                return ScriptedResponse(body: "slow")
            }
        }
        defer { Task { try await legacy.shutdown() } }
        let server = ProxyServer(
            configuration: ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: legacy.url), connectTimeout: TestTiming.localConnectAmount),
            mirror: MirrorConfiguration(),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test"),
            sink: RecordingExchangeSink()
        )
        let run = Task { try await server.run() }
        let port = try await server.boundAddress().port!

        let idle = try await RawTCP.connect(port: port)
        try await idle.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        await idle.waitForReceived(containing: "fast")
        let busy = try await RawTCP.connect(port: port)
        try await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await legacy.waitUntil { $0.requestCount == 2 }

        run.cancel()
        await idle.waitForClose()
        #expect(idle.isClosed)
        // The idle connection closed, so the quiesce event was queued to every connection's event loop in the same
        // pass (NIOExtras' ServerQuiescingHelper); a task run on each loop after it proves each got it.
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() { try await loop.submit {}.get() }
        released.withLockedValue { $0 = true }
        let response = String(decoding: await busy.waitForClose(), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 200 OK"), "\(response)")
        #expect(response.lowercased().contains("connection: close"), "\(response)")
        #expect(response.hasSuffix("slow"), "\(response)")
        try await run.value
    }
}
