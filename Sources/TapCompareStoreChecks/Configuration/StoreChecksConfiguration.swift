/// Everything about store checks: the stores, the checks of each write route, and their bounds.
///
/// The `stores:` and `stores_max_in_flight`/`stores_timeout`/`stores_queue_capacity`/`stores_sample_rate`/
/// `stores_max_per_second` keys of the configuration,
/// and each route's `verify.stores:`, map onto these properties.
public struct StoreChecksConfiguration: Sendable {
    /// `stores:`, by name.
    public var stores: [String: StoreDefinition]
    /// Each write route's `verify.stores:`, by the route's name (`POST /api/v1/comments`).
    public var checks: [String: [StoreCheck]]
    /// `stores_max_in_flight`: checks running at once (each reads both sides). Default 16.
    public var maxInFlight: Int
    /// `stores_queue_capacity`: checks waiting for a slot; beyond it a check is skipped and counted
    /// (`store_check_queue_full`). Default 1,000.
    public var queueCapacity: Int
    /// `stores_timeout`: for one side's read, connecting included (a stream's `within:` is on top). Default 2 s.
    public var timeout: Duration
    /// Connections per side of each PostgreSQL store. Default 4.
    public var maxConnectionsPerStore: Int
    /// `stores_sample_rate`: fraction of mirrored writes whose stores are checked, 0…1. Default 1.0 (every one).
    public var sampleRate: Double
    /// `stores_max_per_second`: store checks started per second at most (each reads both sides); writes beyond it
    /// are not checked, counted as `skipped_budget`. `nil` (`unlimited`): no limit. Default 200: 50 writes a second
    /// with four stores each, which reaches a cut-over verdict's 1,000 comparisons per store in under a minute while
    /// adding a small, fixed number of reads to production's stores however busy the writes get (`bench/stores.sh`
    /// measures the cost with and without it).
    public var maxPerSecond: Double?
    /// `stores_recheck_delay`: for checks with `version:`, how long after a mismatching read legacy's record is
    /// read again to see whether a production write moved its version. Default 200 ms.
    public var recheckDelay: Duration

    public init(
        stores: [String: StoreDefinition] = [:],
        checks: [String: [StoreCheck]] = [:],
        maxInFlight: Int = 16,
        queueCapacity: Int = 1_000,
        timeout: Duration = .seconds(2),
        maxConnectionsPerStore: Int = 4,
        recheckDelay: Duration = .milliseconds(200),
        sampleRate: Double = 1.0,
        maxPerSecond: Double? = 200
    ) {
        self.sampleRate = sampleRate
        self.maxPerSecond = maxPerSecond
        self.stores = stores
        self.checks = checks
        self.maxInFlight = maxInFlight
        self.queueCapacity = queueCapacity
        self.timeout = timeout
        self.maxConnectionsPerStore = maxConnectionsPerStore
        self.recheckDelay = recheckDelay
    }

    /// Whether any route checks a store.
    public var isEnabled: Bool { !self.checks.isEmpty }
}
