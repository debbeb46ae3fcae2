import NIOCore
import TapCompareCore
import TapCompareMirroring

/// The proxy's state for one event loop: its two connection pools, its sampler and id generator, and its
/// cache of per-route metric handles.
///
/// Everything per request runs on the client connection's loop, so this state needs no lock.
/// `@unchecked Sendable` because it is created off-loop and captured by the server's channel initializer;
/// its mutable state is only touched on ``eventLoop`` (checked in debug builds).
final class LoopContext: @unchecked Sendable {
    /// Distinct route names given their own metric labels per loop; beyond it requests are labelled
    /// ``overflowRoute`` so a stream of unusual paths cannot grow the metrics without bound.
    static let maxRouteLabels = 1_000
    static let overflowRoute = "(other)"

    let eventLoop: any EventLoop
    let shared: ProxyShared
    let legacyPool: UpstreamPool
    let candidatePool: UpstreamPool?
    var sampler: Sampler
    var requestIDs: RequestIDGenerator
    /// Where this loop's sampled exchanges go: to ``ProxyShared/sink``, once per turn of the loop.
    let exchanges: LoopExchangeBatch
    /// The `mirror.timeout` of this loop's candidate calls.
    let candidateDeadlines: SharedTimeoutList<CandidateCall>
    private var routeMetrics: [String: RouteMetrics] = [:]

    init(eventLoop: any EventLoop, shared: ProxyShared, seed: UInt64) {
        self.eventLoop = eventLoop
        self.shared = shared
        let configuration = shared.configuration
        self.legacyPool = UpstreamPool(
            eventLoop: eventLoop,
            target: configuration.legacy,
            maxIdle: configuration.maxIdleConnectionsPerLoop,
            idleTimeout: configuration.idleTimeout,
            connectTimeout: configuration.connectTimeout,
            readTimeout: configuration.readTimeout,
            writeTimeout: configuration.writeTimeout,
            tls: shared.tls.legacy,
            sendBufferSize: configuration.legacySendBufferSize
        )
        if let candidate = shared.mirror.candidate {
            // The candidate call's own timeout bounds it as a whole; the per-read and per-write timeouts
            // never need to be shorter.
            self.candidatePool = UpstreamPool(
                eventLoop: eventLoop,
                target: candidate,
                maxIdle: shared.mirror.maxIdleConnectionsPerLoop,
                idleTimeout: shared.mirror.idleTimeout,
                connectTimeout: shared.mirror.connectTimeout,
                readTimeout: shared.mirror.timeout,
                writeTimeout: shared.mirror.timeout,
                tls: shared.tls.candidate
            )
        } else {
            self.candidatePool = nil
        }
        self.exchanges = LoopExchangeBatch(eventLoop: eventLoop, sink: shared.sink)
        self.candidateDeadlines = SharedTimeoutList(eventLoop: eventLoop, timeout: shared.mirror.timeout)
        self.sampler = Sampler(seed: seed)
        self.requestIDs = RequestIDGenerator(seed: seed ^ 0x5bd1_e995_7f4a_7c15)
    }

    /// The metric handles for a route name, created on first use.
    func metrics(forRoute route: String) -> RouteMetrics {
        self.eventLoop.assertInEventLoop()
        if let metrics = self.routeMetrics[route] { return metrics }
        if self.routeMetrics.count >= Self.maxRouteLabels {
            if let overflow = self.routeMetrics[Self.overflowRoute] { return overflow }
        }
        let metrics = RouteMetrics(
            route: self.routeMetrics.count >= Self.maxRouteLabels ? Self.overflowRoute : route,
            factory: self.shared.metrics.factory
        )
        self.routeMetrics[metrics.route] = metrics
        return metrics
    }

    /// The last step of a shutdown: hands over the exchanges this loop still holds (the scheduled hand-over may
    /// not have run yet), then closes the pools.
    func shutdownPools() {
        self.exchanges.handOver()
        self.legacyPool.shutdown()
        self.candidatePool?.shutdown()
    }
}
