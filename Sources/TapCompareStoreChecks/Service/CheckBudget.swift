/// Which mirrored writes get their stores checked: a sample of them (`stores_sample_rate`), within a budget of
/// checks per second (`stores_max_per_second`), decided once per write so a checked write has all its stores
/// checked (the write matrix stays whole).
///
/// Why a budget: every check reads both sides' stores and compares them, so at full write load the checks cost
/// more than the mirroring itself (`bench/stores.sh`), in tapcompare's CPU and in the stores' (legacy's production
/// store included). The budget is a token bucket: ``maxPerSecond`` tokens a second, at most one second's worth
/// saved up; a write takes one token per check. Writes sampled out or over the budget are counted by reason
/// (`skipped_not_sampled`, `skipped_budget`), like requests not sampled for mirroring, and not written to the
/// ledger, which would cost what the budget saves.
///
/// A pure state machine: the caller passes the time and the random draw, so tests decide both.
public struct CheckBudget: Sendable {
    /// What to do with one write's checks.
    public enum Decision: Sendable, Equatable {
        case check
        case notSampled
        case overBudget
    }

    public let sampleRate: Double
    /// Checks a second; `nil`: no limit.
    public let maxPerSecond: Double?
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    public init(sampleRate: Double, maxPerSecond: Double?) {
        self.sampleRate = sampleRate
        self.maxPerSecond = maxPerSecond
        self.tokens = maxPerSecond ?? 0
    }

    /// Decides for a write with `checks` checks at `now`; `draw` is uniform in 0..<1.
    public mutating func decide(checks: Int, now: ContinuousClock.Instant, draw: Double) -> Decision {
        guard draw < self.sampleRate else { return .notSampled }
        guard let rate = self.maxPerSecond else { return .check }
        if let last = self.last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            self.tokens = min(rate, self.tokens + max(0, seconds) * rate)
        }
        self.last = now
        let cost = Double(max(1, checks))
        guard self.tokens >= cost else { return .overBudget }
        self.tokens -= cost
        return .check
    }
}
