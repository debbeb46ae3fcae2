import NIOCore
import TapCompareCore
import TapCompareGRPC

/// What is mirrored to the candidate, how often, and within which bounds.
public struct MirrorConfiguration: Sendable {
    /// The candidate's base URL, e.g. `http://127.0.0.1:8081`. Default `nil`: nothing is mirrored, and every
    /// request is counted as skipped with reason `no_candidate`.
    public var candidate: UpstreamURL?
    /// How an `https://` candidate's certificate is checked. Default: against the system trust store.
    public var candidateTLS: UpstreamTLS
    /// Fraction of eligible requests mirrored, 0…1. Default `0.01`.
    public var sampleRate: Double
    /// Where a stable sampling key is read. Default `nil`: each request is sampled at random.
    public var sampleKey: SampleKey?
    /// Candidate calls allowed at once across the process; over it a request is not mirrored (`max_in_flight`).
    /// Default `256`.
    public var maxInFlight: Int
    /// How long a candidate call may take, connect to last byte; then it is abandoned (`candidate_timeout`).
    /// Default 5 s.
    public var timeout: TimeAmount
    /// Connect timeout for candidate connections. Default 1 s.
    public var connectTimeout: TimeAmount
    /// Largest request body mirrored; a larger one still streams to legacy and is skipped as `body_too_large`.
    /// Default 1 MiB.
    public var maxBodyBytes: Int
    /// Largest response body (either side) kept for comparison; beyond it the exchange is skipped as
    /// `response_too_large` while the client still receives every byte. Default 8 MiB.
    public var maxResponseBodyBytes: Int
    /// Header every mirrored request carries, so the candidate can send its writes to sister datastores.
    /// Default `X-Tap-Compare`.
    public var shadowHeaderName: String
    /// Value of ``shadowHeaderName``. Default `shadow`.
    public var shadowHeaderValue: String
    /// Idle keep-alive connections kept per event loop in the candidate pool. Default `256` (the default
    /// ``maxInFlight``): with a slow candidate every in-flight call holds a connection, and closing them on
    /// release only to reconnect for the next call would spend the event loop — which legacy traffic
    /// shares — on connection churn.
    public var maxIdleConnectionsPerLoop: Int
    /// How long an idle candidate connection is kept. Default 60 s.
    public var idleTimeout: TimeAmount
    /// Per-route policies, matched most specific first; unmatched requests use the table's fallback.
    /// Default: no routes, fallback ``RoutePolicy/init(mirror:sampleRate:mirrorWrites:)`` with its defaults.
    public var routes: RouteTable<RoutePolicy>
    /// gRPC calls that only read (`grpc.read_methods`): mirrored although every gRPC call is a POST, which the
    /// safe-method rule would refuse. Default: none (a gRPC method is mirrored only if its route says
    /// `mirror_writes: true`).
    public var grpcReadCalls: GRPCMethodPolicy

    /// Every default of this configuration, written once: the initializer's default arguments and `serve`'s
    /// configuration (`ServeConfiguration.mirror`) both read them.
    public enum Defaults {
        /// `sample_rate`.
        public static let sampleRate = 0.01
        /// `mirror.max_in_flight`.
        public static let maxInFlight = 256
        /// `mirror.timeout`.
        public static let timeout: Duration = .seconds(5)
        public static let connectTimeout: Duration = .seconds(1)
        /// `mirror.max_body_bytes`.
        public static let maxBodyBytes = 1 << 20
        /// `mirror.max_response_bytes`.
        public static let maxResponseBodyBytes = 8 << 20
        /// `mirror.shadow_header`.
        public static let shadowHeaderName = "X-Tap-Compare"
        public static let shadowHeaderValue = "shadow"
    }

    public init(
        candidate: UpstreamURL? = nil,
        sampleRate: Double = Defaults.sampleRate,
        sampleKey: SampleKey? = nil,
        maxInFlight: Int = Defaults.maxInFlight,
        timeout: TimeAmount = TimeAmount(Defaults.timeout),
        connectTimeout: TimeAmount = TimeAmount(Defaults.connectTimeout),
        maxBodyBytes: Int = Defaults.maxBodyBytes,
        maxResponseBodyBytes: Int = Defaults.maxResponseBodyBytes,
        shadowHeaderName: String = Defaults.shadowHeaderName,
        shadowHeaderValue: String = Defaults.shadowHeaderValue,
        maxIdleConnectionsPerLoop: Int = Defaults.maxInFlight,
        idleTimeout: TimeAmount = .seconds(60),
        routes: RouteTable<RoutePolicy> = RouteTable(entries: [], fallback: RoutePolicy()),
        candidateTLS: UpstreamTLS = UpstreamTLS(),
        grpcReadCalls: GRPCMethodPolicy = GRPCMethodPolicy(readMethods: [])
    ) {
        self.candidate = candidate
        self.candidateTLS = candidateTLS
        self.sampleRate = sampleRate
        self.sampleKey = sampleKey
        self.maxInFlight = maxInFlight
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.shadowHeaderName = shadowHeaderName
        self.shadowHeaderValue = shadowHeaderValue
        self.maxIdleConnectionsPerLoop = maxIdleConnectionsPerLoop
        self.idleTimeout = idleTimeout
        self.routes = routes
        self.grpcReadCalls = grpcReadCalls
    }
}
