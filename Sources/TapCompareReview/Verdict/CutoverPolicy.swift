/// When a route may be switched to the candidate (`cutover:` in the configuration, issue 19): the targets a
/// ``RouteVerdict`` is judged against. A pure value; each default below is the one used when the key is absent.
public struct CutoverPolicy: Sendable, Hashable, Codable {
    /// `cutover.max_regression_rate`: the highest regression rate (noise and races excluded) a route may have,
    /// 0 < rate < 1, as an upper bound at ``confidence``. Default `0.001` (0.1 %).
    public var maxRegressionRate: Double
    /// `cutover.confidence`: the one-sided confidence of the bound (``WilsonBound``), 0.5 ≤ c < 1. Default `0.95`.
    public var confidence: Double
    /// `cutover.min_comparisons`: the fewest compared requests a route needs before it can be ready, whatever the
    /// bound says. Default `1000`: a p99 latency over 1,000 requests rests on its 10 slowest, and a loose target
    /// (say 5 %) would otherwise be met after some 50 requests. With the default target and confidence the bound
    /// alone needs 2,703 clean comparisons, so this floor matters for looser targets.
    public var minComparisons: Int
    /// `cutover.max_latency_ratio`: the candidate's p99 may be at most the legacy p99 × this ratio (> 0).
    /// Default `1.2`: 20 % of headroom, since the report's percentiles are read from log-scale buckets (within
    /// 1 %) and two equal services never measure exactly equal.
    public var maxLatencyRatio: Double
    /// `cutover.routes`: a route's own targets, keyed by the route's name (a `routes:` entry's template, as the
    /// ledger names the route), each value replacing the one above for that route alone. Default none: every
    /// route is judged against the values above. A store check (`POST /api/v1/comments @comments_db`) is judged
    /// against its write route's entry: the write is what is switched.
    public var routes: [String: RouteTarget]

    public static let defaultMaxRegressionRate = 0.001
    public static let defaultConfidence = 0.95
    public static let defaultMinComparisons = 1000
    public static let defaultMaxLatencyRatio = 1.2

    public init(
        maxRegressionRate: Double = Self.defaultMaxRegressionRate, confidence: Double = Self.defaultConfidence,
        minComparisons: Int = Self.defaultMinComparisons, maxLatencyRatio: Double = Self.defaultMaxLatencyRatio,
        routes: [String: RouteTarget] = [:]
    ) {
        self.maxRegressionRate = maxRegressionRate
        self.confidence = confidence
        self.minComparisons = minComparisons
        self.maxLatencyRatio = maxLatencyRatio
        self.routes = routes
    }

    /// One entry of `cutover.routes`: the targets this route sets itself; `nil` keeps the `cutover:` value (the
    /// defaults stay in one place, ``CutoverPolicy``). Each value has the range of its `cutover:` counterpart.
    public struct RouteTarget: Sendable, Hashable, Codable {
        public var maxRegressionRate: Double?
        public var confidence: Double?
        public var minComparisons: Int?
        public var maxLatencyRatio: Double?

        public init(maxRegressionRate: Double? = nil, confidence: Double? = nil, minComparisons: Int? = nil, maxLatencyRatio: Double? = nil) {
            self.maxRegressionRate = maxRegressionRate
            self.confidence = confidence
            self.minComparisons = minComparisons
            self.maxLatencyRatio = maxLatencyRatio
        }
    }

    /// The `cutover.routes` key whose entry applies to a route: the route's own, else (for a store check) its
    /// write route's; `nil` when the route is judged against the `cutover:` values.
    public func targetKey(route: String, writeRoute: String? = nil) -> String? {
        if self.routes[route] != nil { return route }
        if let writeRoute, self.routes[writeRoute] != nil { return writeRoute }
        return nil
    }

    /// The policy one route is judged against: its `cutover.routes` entry (``targetKey(route:writeRoute:)``)
    /// over the `cutover:` values, with no per-route entries left.
    public func effective(route: String, writeRoute: String? = nil) -> CutoverPolicy {
        var policy = self
        policy.routes = [:]
        guard let key = self.targetKey(route: route, writeRoute: writeRoute), let target = self.routes[key] else { return policy }
        if let v = target.maxRegressionRate { policy.maxRegressionRate = v }
        if let v = target.confidence { policy.confidence = v }
        if let v = target.minComparisons { policy.minComparisons = v }
        if let v = target.maxLatencyRatio { policy.maxLatencyRatio = v }
        return policy
    }
}
