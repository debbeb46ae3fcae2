import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import TapCompareCore
import TapCompareMirroring
import TapCompareTestSupport
@testable import TapCompareProxy

/// The client connection's own pipelining and read demand, through real sockets: pipelined requests answered in
/// order, and `read()` passed to the socket at once between requests (no re-registering of read interest).
@Suite("Pipelining and reads", .timeLimit(.minutes(TestTiming.minutes(1))))
struct PipeliningTests {
    @Test("on a keep-alive connection read() reaches the socket right after each read burst, before the response")
    func readsPassStraightThrough() async throws {
        let legacy = try await ScriptedUpstream { head in .respond(ScriptedResponse(body: "path:\(head.uri)")) }
        defer { Task { try await legacy.shutdown() } }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let shared = ProxyShared(
            configuration: ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: legacy.url), connectTimeout: TestTiming.localConnectAmount),
            mirror: MirrorConfiguration(),
            sink: RecordingExchangeSink(),
            logger: logger,
            metricsFactory: NOOPMetricsHandler.instance
        )
        let loop = LoopContext(eventLoop: eventLoop, shared: shared, seed: 1)
        let log = NIOLockedValueBox<[ReadLogHandler.Event]>([])
        // The proxy's client pipeline behind a handler that logs what reaches the socket.
        let server = try await ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReadLogHandler(log: log))
                    try ProxyServer.addClientHandlers(to: channel.pipeline.syncOperations, loop: loop)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()

        let client = try await RawTCP.connect(port: server.localAddress!.port!)
        for i in 1...5 {
            try await client.send("GET /\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let received = String(decoding: await client.waitForReceived(containing: "path:/\(i)"), as: UTF8.self)
            #expect(received.contains("path:/\(i)"))
        }
        try await client.close()

        let events = log.withLockedValue { $0 }
        let bursts = events.indices.filter { events[$0] == .readComplete }
        #expect(bursts.count >= 5)
        for index in bursts {
            // What reached the socket next: a read (interest kept) rather than the response with reads held.
            let next = events[(index + 1)...].first { $0 != .readComplete }
            #expect(next == nil || next == .read, "after read burst \(index) of \(events)")
        }
        try await server.close()
        try await eventLoop.submit { loop.shutdownPools() }.get()
        try await group.shutdownGracefully()
    }

    @Test("requests pipelined in one write are answered in order, the last one's Connection: close honoured")
    func pipelinedInOrder() async throws {
        let legacy = try await ScriptedUpstream { head in .respond(ScriptedResponse(body: "path:\(head.uri)")) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            // Three at once: past the one buffered head the proxy stops reading until it catches up.
            try await client.send(
                "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            let text = String(decoding: await client.waitForClose(), as: UTF8.self)
            let positions = ["path:/1", "path:/2", "path:/3", "path:/4"].map { text.range(of: $0)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil }, "\(text)")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 5)
            #expect(legacy.requestCount == 4)
        }
    }

    @Test("a malformed request pipelined behind a good one: the good one is answered first, then the 400")
    func parserErrorBehindPipelinedRequest() async throws {
        let legacy = try await ScriptedUpstream { head in
            .sleep(.milliseconds(50), then: ScriptedResponse(body: "path:\(head.uri)"))
        }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let client = try await RawTCP.connect(port: proxy.port)
            try await client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
            let text = String(decoding: await client.waitForClose(), as: UTF8.self)
            let answered = text.range(of: "path:/1")
            let refused = text.range(of: "HTTP/1.1 400")
            #expect(answered != nil, "\(text)")
            #expect(refused != nil, "\(text)")
            if let answered, let refused { #expect(answered.lowerBound < refused.lowerBound) }
            #expect(legacy.requestCount == 1)
        }
    }
}

/// Logs, at the front of a client pipeline, the reads that reach the socket and the bursts and writes around
/// them.
final class ReadLogHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    enum Event: Equatable, Sendable {
        case read
        case readComplete
        case write
    }

    private let log: NIOLockedValueBox<[Event]>

    init(log: NIOLockedValueBox<[Event]>) {
        self.log = log
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.log.withLockedValue { $0.append(.readComplete) }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        self.log.withLockedValue { $0.append(.read) }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.log.withLockedValue { $0.append(.write) }
        context.write(data, promise: promise)
    }
}
