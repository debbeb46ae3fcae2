import TapCompareCore

/// The comparison a replay runs on each exchange: the diff engine with the run's rules (`--rules`), the same as
/// `serve` uses. A protocol so the replay engine does not depend on how the engine is configured.
public protocol ReplayComparing: Sendable {
    func compare(_ exchange: Exchange) -> ComparisonRecord
}
