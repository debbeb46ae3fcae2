import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareStoreChecks

/// `replay --config`: a replayed write's stores are checked like `serve` checks a mirrored one, and the replay
/// waits for them so its verdict counts them.
extension StoreCheckService: ReplayFollowUp {
    public func records(after exchange: Exchange, comparator: any ReplayComparing) async -> [ComparisonRecord] {
        // Replay compares with the diff engine itself (``ReplayComparators``); the store checks need its rules.
        guard let comparator = comparator as? TapCompareComparison.Comparator else { return [] }
        return await self.checkNow(exchange, comparator: comparator)
    }
}
