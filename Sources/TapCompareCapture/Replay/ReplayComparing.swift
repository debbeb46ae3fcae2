import TapCompareCore

/// The comparison a replay runs on each exchange: the diff engine with the run's rules (`--rules`), the same as
/// `serve` uses. A protocol so the replay engine does not depend on how the engine is configured.
public protocol ReplayComparing: Sendable {
    func compare(_ exchange: Exchange) -> ComparisonRecord
}

/// More comparisons made after one replayed exchange, from what it changed elsewhere: the store checks of a
/// replayed write (`replay --config` with `verify.stores:`).
public protocol ReplayFollowUp: Sendable {
    /// The comparisons to record after `exchange` (both sides answered), awaited before the replay moves on so
    /// a CI run's verdict includes them. Empty when there is nothing to check.
    func records(after exchange: Exchange, comparator: any ReplayComparing) async -> [ComparisonRecord]
}
