import TapCompareComparison
import TapCompareCore

/// Puts store checks behind another refiner (classification): each comparison is refined as before, and the
/// writes of routes with `verify.stores:` are also handed to the ``StoreCheckService``.
public struct StoreCheckingRefiner: ComparisonRefiner {
    let next: (any ComparisonRefiner)?
    let storeChecks: StoreCheckService

    public init(next: (any ComparisonRefiner)?, storeChecks: StoreCheckService) {
        self.next = next
        self.storeChecks = storeChecks
    }

    public func refine(
        _ record: ComparisonRecord,
        exchange: Exchange,
        comparator: TapCompareComparison.Comparator,
        deliver: @escaping @Sendable (ComparisonRecord) -> Void
    ) {
        if let next { next.refine(record, exchange: exchange, comparator: comparator, deliver: deliver) } else { deliver(record) }
        self.storeChecks.submit(exchange, comparator: comparator, deliver: deliver)
    }
}
