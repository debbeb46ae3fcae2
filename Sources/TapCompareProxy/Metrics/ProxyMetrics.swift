import CoreMetrics
import NIOConcurrencyHelpers
import TapCompareCore
import TapCompareMirroring

/// The proxy's process-wide metric handles, created once. Per-route handles live in ``RouteMetrics``,
/// cached per event loop.
///
/// Metric names and labels (the Prometheus backend is bootstrapped by the application):
/// - `tapcompare_requests_total{route,status}`
/// - `tapcompare_legacy_latency_seconds{route}`, `tapcompare_candidate_latency_seconds{route}` (timers)
/// - `tapcompare_mirrored_total{route}`
/// - `tapcompare_skipped_total{reason}`
/// - `tapcompare_candidate_errors_total{route}`, `tapcompare_candidate_timeouts_total{route}`
/// - `tapcompare_in_flight{side="legacy"|"candidate"}`
/// - `tapcompare_upstream_errors_total{side="legacy"|"candidate",reason}`: every upstream call that failed at the
///   connection level, with ``UpstreamError/reason`` (`connect_failed`, `tls_handshake`, `read_timeout`, …); a
///   candidate call cut off by `mirror.timeout` as a whole is counted in `tapcompare_candidate_timeouts_total`
/// - `tapcompare_client_refused_total{reason}`: clients refused before their request was forwarded (see
///   ``ClientRefusal`` for the reasons: `header_timeout`, `headers_too_large`, `invalid_framing`, `smuggling`, ...)
/// - `tapcompare_client_closed_total{reason}`: client connections (an HTTP/2 client's streams) the proxy cut off
///   mid-response; `send_timeout`: the client took none of its response for `listener.send_timeout`
/// - `tapcompare_tunnel_dropped_bytes_total{toward="client"|"legacy",reason}`: bytes of an upgraded tunnel the proxy
///   had read from one side and could not deliver to the other (``TunnelEndCounts/DropReason``: `idle_timeout`,
///   `shutdown`, `cut_off`, `other_side_closed`)
/// - `tapcompare_trailers_dropped_total`: responses whose trailers (e.g. gRPC's `grpc-status`) could not reach an
///   HTTP/1.1 client: it did not send `TE: trailers`, or legacy's body had a `Content-Length` (no chunked trailer)
public final class ProxyMetrics: Sendable {
    public static let requests = "tapcompare_requests_total"
    public static let legacyLatency = "tapcompare_legacy_latency_seconds"
    public static let candidateLatency = "tapcompare_candidate_latency_seconds"
    public static let mirrored = "tapcompare_mirrored_total"
    public static let skipped = "tapcompare_skipped_total"
    public static let candidateErrors = "tapcompare_candidate_errors_total"
    public static let candidateTimeouts = "tapcompare_candidate_timeouts_total"
    public static let inFlight = "tapcompare_in_flight"
    public static let clientRefused = "tapcompare_client_refused_total"
    public static let upstreamErrors = "tapcompare_upstream_errors_total"
    public static let trailersDropped = "tapcompare_trailers_dropped_total"
    public static let clientClosed = "tapcompare_client_closed_total"
    public static let tunnelDroppedBytes = "tapcompare_tunnel_dropped_bytes_total"

    /// Which upstream a call went to.
    enum Side: String {
        case legacy
        case candidate
    }

    /// Which side of a tunnel bytes were on their way to.
    enum TunnelSide: String, CaseIterable {
        case client
        case legacy
    }

    /// Every reason the proxy itself produces, created up front so the counters exist (at zero) from start-up.
    static let knownReasons: [SkipReason] = [
        .notSampled, .noCandidate, .routeDisabled, .unsafeMethod, .bodyTooLarge, .legacyAnsweredEarly, .responseTooLarge, .maxInFlight,
        .clientAborted, .sendTimeout, .upgrade, .legacyError, .shuttingDown,
    ]

    let factory: any MetricsFactory
    let legacyInFlight: Meter
    let candidateInFlight: Meter
    /// Legacy trailers an HTTP/1.1 client could not be sent.
    let trailersDropped: Counter
    /// Clients cut off because they took none of their response for `listener.send_timeout` (``SendDeadline``).
    let sendTimeouts: Counter
    private let skippedByReason: [SkipReason: Counter]
    private let legacyErrors: [UpstreamError.Code: Counter]
    private let candidateErrors: [UpstreamError.Code: Counter]
    private let otherSkips = NIOLockedValueBox<[SkipReason: Counter]>([:])
    private let refusedByReason: [String: Counter]
    private let tunnelDroppedBytes: [TunnelSide: [TunnelEndCounts.DropReason: Counter]]

    /// - Parameter factory: where handles are created; the process-wide `MetricsSystem.factory` in `serve`,
    ///   a `TestMetrics` in tests (no global bootstrap needed).
    public init(factory: any MetricsFactory) {
        self.factory = factory
        self.legacyInFlight = Meter(label: Self.inFlight, dimensions: [("side", "legacy")], factory: factory)
        self.candidateInFlight = Meter(label: Self.inFlight, dimensions: [("side", "candidate")], factory: factory)
        self.trailersDropped = Counter(label: Self.trailersDropped, factory: factory)
        self.sendTimeouts = Counter(label: Self.clientClosed, dimensions: [("reason", "send_timeout")], factory: factory)
        var skipped: [SkipReason: Counter] = [:]
        for reason in Self.knownReasons {
            skipped[reason] = Counter(label: Self.skipped, dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.skippedByReason = skipped
        var refused: [String: Counter] = [:]
        for refusal in ClientRefusal.all {
            refused[refusal.reason] = Counter(label: Self.clientRefused, dimensions: [("reason", refusal.reason)], factory: factory)
        }
        self.refusedByReason = refused
        var tunnelDropped: [TunnelSide: [TunnelEndCounts.DropReason: Counter]] = [:]
        for side in TunnelSide.allCases {
            for reason in TunnelEndCounts.DropReason.allCases {
                tunnelDropped[side, default: [:]][reason] = Counter(
                    label: Self.tunnelDroppedBytes, dimensions: [("toward", side.rawValue), ("reason", reason.rawValue)], factory: factory
                )
            }
        }
        self.tunnelDroppedBytes = tunnelDropped

        func errorCounters(_ side: Side) -> [UpstreamError.Code: Counter] {
            var counters: [UpstreamError.Code: Counter] = [:]
            for code in UpstreamError.Code.all {
                counters[code] = Counter(
                    label: Self.upstreamErrors,
                    dimensions: [("side", side.rawValue), ("reason", code.reason)],
                    factory: factory
                )
            }
            return counters
        }
        self.legacyErrors = errorCounters(.legacy)
        self.candidateErrors = errorCounters(.candidate)
    }

    /// Counts one refused client with its reason.
    func refused(_ refusal: ClientRefusal) {
        self.refusedByReason[refusal.reason]?.increment()
    }

    /// Counts one failed upstream call with its reason (handles created up front: no lock, no allocation).
    func upstreamError(_ error: UpstreamError, side: Side) {
        switch side {
        case .legacy: self.legacyErrors[error.code]?.increment()
        case .candidate: self.candidateErrors[error.code]?.increment()
        }
    }

    /// Counts `bytes` of a tunnel dropped on their way `toward` a side, with the reason.
    func tunnelDropped(_ bytes: Int, toward side: TunnelSide, reason: TunnelEndCounts.DropReason) {
        self.tunnelDroppedBytes[side]?[reason]?.increment(by: Int64(bytes))
    }

    /// Counts one skip with its reason.
    func skip(_ reason: SkipReason) {
        if let counter = self.skippedByReason[reason] {
            counter.increment()
            return
        }
        self.otherSkips.withLockedValue { others in
            if let counter = others[reason] { return counter }
            let counter = Counter(label: Self.skipped, dimensions: [("reason", reason.rawValue)], factory: self.factory)
            others[reason] = counter
            return counter
        }.increment()
    }
}

/// Metric handles for one route, cached per event loop (so no lock and no allocation per request).
final class RouteMetrics {
    let route: String
    let legacyLatency: Timer
    let candidateLatency: Timer
    let mirrored: Counter
    let candidateErrors: Counter
    let candidateTimeouts: Counter
    private let factory: any MetricsFactory
    private var requestsByStatus: [UInt: Counter] = [:]

    init(route: String, factory: any MetricsFactory) {
        self.route = route
        self.factory = factory
        let dimensions = [("route", route)]
        self.legacyLatency = Timer(label: ProxyMetrics.legacyLatency, dimensions: dimensions, factory: factory)
        self.candidateLatency = Timer(label: ProxyMetrics.candidateLatency, dimensions: dimensions, factory: factory)
        self.mirrored = Counter(label: ProxyMetrics.mirrored, dimensions: dimensions, factory: factory)
        self.candidateErrors = Counter(label: ProxyMetrics.candidateErrors, dimensions: dimensions, factory: factory)
        self.candidateTimeouts = Counter(label: ProxyMetrics.candidateTimeouts, dimensions: dimensions, factory: factory)
    }

    /// Counts one response sent to the client.
    func countRequest(status: UInt) {
        if let counter = self.requestsByStatus[status] {
            counter.increment()
            return
        }
        let counter = Counter(
            label: ProxyMetrics.requests,
            dimensions: [("route", self.route), ("status", String(status))],
            factory: self.factory
        )
        self.requestsByStatus[status] = counter
        counter.increment()
    }
}
