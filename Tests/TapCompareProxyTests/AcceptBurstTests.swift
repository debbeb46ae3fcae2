import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TapCompareCore
import TapCompareMirroring
import TapCompareTestSupport
import Testing

@testable import TapCompareProxy

/// A burst of new connections reaching a busy proxy (a client pool reconnecting, a load test starting) waits in the
/// kernel's backlog until the listener is read. With NIO's default, the listener took 4 connections per turn of its
/// loop, and a loop busy with the connections it already serves takes milliseconds per turn: under load at 256
/// connections, the first requests of a new burst waited up to half a second (`bench/proxy.sh`, wrk's maximum).
@Suite("accepting a burst of connections")
struct AcceptBurstTests {
    @Test("connections that queued while the proxy's loop was busy are all accepted at its next turn, not 4 per turn")
    func aQueuedBurstIsAcceptedAtOnce() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = ProxyServer(
            configuration: ProxyConfiguration(port: 0, legacy: try UpstreamURL(parsing: "http://127.0.0.1:9")),
            mirror: MirrorConfiguration(),
            eventLoopGroup: group,
            logger: logger,
            sink: RecordingExchangeSink(),
            metricsFactory: NOOPMetricsHandler.instance
        )
        let run = Task { try await server.run() }
        let port = try await server.boundAddress().port!
        let listener = try #require(server.listenerChannel)
        let bursts = NIOLockedValueBox<[Int]>([])
        try await listener.eventLoop.submit {
            try listener.pipeline.syncOperations.addHandler(AcceptBurstRecorder(bursts: bursts), position: .first)
        }.get()

        // The loop is busy (here: held) while the connections arrive; the kernel completes their handshakes.
        let gate = ConditionLock(value: false)
        listener.eventLoop.execute {
            gate.lock(whenValue: true)
            gate.unlock()
        }
        let count = 40
        var clients: [RawTCP] = []
        for _ in 0..<count { clients.append(try await RawTCP.connect(port: port)) }
        try await eventually("the kernel queued all \(count) connections for the listener") {
            KernelTCPQueues.socket(local: port, remote: 0)?.unread == count
        }
        gate.lock()
        gate.unlock(withValue: true)

        try await eventually("the proxy accepted every connection") { bursts.withLockedValue { $0.reduce(0, +) } == count }
        let sizes = bursts.withLockedValue { $0 }
        #expect(sizes == [count], "connections accepted per turn of the loop")

        for client in clients { try? await client.close() }
        run.cancel()
        try await run.value
        try await group.shutdownGracefully()
    }
}

/// Counts the connections the listener accepts in each read burst (one turn of its loop): each accepted channel is
/// one `channelRead` on the server pipeline, and the burst ends with `channelReadComplete`.
private final class AcceptBurstRecorder: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let bursts: NIOLockedValueBox<[Int]>
    private var current = 0

    init(bursts: NIOLockedValueBox<[Int]>) {
        self.bursts = bursts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.current += 1
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.current > 0 {
            let burst = self.current
            self.bursts.withLockedValue { $0.append(burst) }
            self.current = 0
        }
        context.fireChannelReadComplete()
    }
}
