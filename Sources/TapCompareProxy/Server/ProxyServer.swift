import CoreMetrics
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import NIOConcurrencyHelpers
import TapCompareCore
import TapCompareMirroring

/// The tap-compare reverse proxy as a `Service`: accepts clients, forwards every request to legacy, mirrors
/// sampled requests to the candidate and hands completed exchanges to an ``ExchangeSink``.
///
/// On graceful shutdown it stops accepting, lets in-flight legacy requests finish (idle keep-alive
/// connections are closed at once, busy ones after their response; a client that stopped reading its response is
/// cut off after ``ProxyConfiguration/sendTimeout``, so it cannot hold the shutdown longer), then waits up to
/// ``ProxyConfiguration/shutdownGrace`` for in-flight candidate calls before closing its upstream pools.
public final class ProxyServer: Service, Sendable {
    private struct State {
        var address: SocketAddress?
        var listener: (any Channel)?
        var ready = false
        var shutdownStarted = false
    }

    let shared: ProxyShared
    private let group: any EventLoopGroup
    private let loops = NIOLockedValueBox<[ObjectIdentifier: LoopContext]>([:])
    private let state = NIOLockedValueBox(State())
    private let listening: EventLoopPromise<SocketAddress>
    private let listensAfter: @Sendable () async throws -> Void

    /// - Parameters:
    ///   - configuration: listening address, legacy upstream, timeouts.
    ///   - mirror: candidate, sampling and bounds.
    ///   - eventLoopGroup: the loops clients and both upstream pools run on (shared: each client connection's
    ///     upstream calls run on its own loop).
    ///   - logger: for failures of legacy calls (info) and candidate calls (debug).
    ///   - sink: receives every sampled exchange; called on an event loop, must return at once.
    ///   - metricsFactory: where metric handles are created. Default `MetricsSystem.factory` (the backend the
    ///     application bootstrapped).
    ///   - listensAfter: awaited in ``run()`` before the proxy binds its port, so nothing is accepted, let alone
    ///     forwarded, until it returns. `serve` passes the admin listener's start-up: the proxy forwards only once
    ///     both listeners are bound. When it throws, the proxy never listens: ``boundAddress()`` throws that error
    ///     and ``run()`` waits for the graceful shutdown and returns, leaving the failure to be reported by what
    ///     failed. A shutdown asked for while it runs ends the proxy once it returns, without listening
    ///     (``boundAddress()`` throws `CancellationError`). Default: listen at once.
    public init(
        configuration: ProxyConfiguration,
        mirror: MirrorConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        sink: any ExchangeSink,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        listensAfter: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.shared = ProxyShared(
            configuration: configuration,
            mirror: mirror,
            sink: sink,
            logger: logger,
            metricsFactory: metricsFactory
        )
        self.group = eventLoopGroup
        self.listening = eventLoopGroup.any().makePromise(of: SocketAddress.self)
        self.listensAfter = listensAfter
    }

    /// The address the proxy listens on, once it does (useful with port `0`).
    public var localAddress: SocketAddress? { self.state.withLockedValue { $0.address } }

    /// The listening channel, once the proxy listens (for tests that watch what it accepts).
    var listenerChannel: (any Channel)? { self.state.withLockedValue { $0.listener } }

    /// Whether the proxy accepts requests: listening and not shutting down.
    public var isReady: Bool { self.state.withLockedValue { $0.ready } }

    /// Candidate calls running now.
    public var candidateCallsInFlight: Int { self.shared.limiter.inFlight }

    /// Waits until the proxy listens and returns its address.
    /// - Throws: ``TapCompareCore/ListenerBindError`` when it could not bind its port, the error of `listensAfter`
    ///   when that threw, or the listener TLS set-up error.
    public func boundAddress() async throws -> SocketAddress {
        try await self.listening.futureResult.get()
    }

    public func run() async throws {
        let configuration = self.shared.configuration
        let quiesce = ServerQuiescingHelper(group: self.group)
        let metrics = self.shared.metrics
        let logger = self.shared.logger
        var bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: UInt(max(1, configuration.maxAcceptsPerWakeup)))
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    // Out of file descriptors, accept() fails at once and the listening socket stays readable:
                    // without a backoff the loop would spin. Pending clients wait in the backlog meanwhile.
                    try sync.addHandler(AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
                        let refusal = ClientRefusal.forAcceptError(error)
                        metrics.refused(refusal)
                        logger.info("accept failed; pausing accepts", metadata: ["client.refusal": "\(refusal)", "error": "\(error)"])
                        return Self.acceptBackoff
                    })
                    try sync.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelOption(.allowRemoteHalfClosure, value: self.allowsRemoteHalfClosure)
            .childChannelInitializer { [self] channel in
                let loop = self.loopContext(for: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try self.addListenerTLSIfConfigured(sync)
                    try Self.addClientHandlers(to: sync, loop: loop)
                }
            }
        if let size = configuration.clientSendBufferSize {
            bootstrap = bootstrap.childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(size))
        }

        if let error = self.shared.tlsSetupError {
            self.listening.fail(error)
            throw error
        }
        do {
            try await self.listensAfter()
        } catch {
            // What the proxy waited for failed and reports that itself; the proxy stays down until the group stops
            // it (returning before its turn in the shutdown would be taken for a crash of its own).
            self.listening.fail(error)
            try? await gracefulShutdown()
            return
        }
        // A shutdown asked for while the proxy waited (SIGTERM while `serve` starts): it never listens, rather than
        // accepting clients for the moment before its quiesce closes them again.
        if Task.isShuttingDownGracefully || Task.isCancelled {
            self.listening.fail(CancellationError())
            return
        }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            let failure = ListenerBindError(listener: .proxy, underlying: error)
            self.listening.fail(failure)
            throw failure
        }
        let address = channel.localAddress!
        self.state.withLockedValue {
            $0.address = address
            $0.listener = channel
            $0.ready = true
        }
        self.listening.succeed(address)
        self.shared.logger.info(
            "proxy listening",
            metadata: [
                "address": "\(address)",
                "tls": "\(configuration.tls != nil)",
                "legacy": "\(configuration.legacy)",
                "candidate": "\(self.shared.mirror.candidate.map { "\($0)" } ?? "none")",
                "sample_rate": "\(self.shared.mirror.sampleRate)",
            ]
        )

        let allClosed = self.group.any().makePromise(of: Void.self)
        let startShutdown: @Sendable () -> Void = { [self] in
            let first = self.state.withLockedValue { state in
                state.ready = false
                defer { state.shutdownStarted = true }
                return !state.shutdownStarted
            }
            if first { quiesce.initiateShutdown(promise: allClosed) }
        }
        try? await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await allClosed.futureResult.get()
            } onGracefulShutdown: {
                startShutdown()
            }
        } onCancel: {
            startShutdown()
        }

        // Every client connection is closed, so every legacy request is finished; give candidate calls
        // (each bounded by mirror.timeout anyway) up to the grace period to hand their exchanges off.
        let deadline = ContinuousClock.now + .nanoseconds(configuration.shutdownGrace.nanoseconds)
        while self.shared.limiter.inFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let abandoned = self.shared.limiter.inFlight
        if abandoned > 0 {
            self.shared.logger.info("shutdown grace over with candidate calls in flight", metadata: ["count": "\(abandoned)"])
        }
        let contexts = self.loops.withLockedValue { Array($0.values) }
        for context in contexts {
            try? await context.eventLoop.submit { context.shutdownPools() }.get()
        }
    }

    /// How long accepting pauses after `accept()` fails (e.g. out of file descriptors).
    static let acceptBackoff: TimeAmount = .milliseconds(250)

    private func loopContext(for eventLoop: any EventLoop) -> LoopContext {
        self.loops.withLockedValue { loops in
            if let context = loops[ObjectIdentifier(eventLoop)] { return context }
            var random = SystemRandomNumberGenerator()
            let context = LoopContext(eventLoop: eventLoop, shared: self.shared, seed: random.next())
            loops[ObjectIdentifier(eventLoop)] = context
            return context
        }
    }
}
