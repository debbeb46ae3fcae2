import Atomics

/// Bounds the candidate calls running at once across all event loops: no queue, a call over the bound is
/// refused at once and the caller counts the skip (`max_in_flight`).
public final class InFlightLimiter: Sendable {
    /// The bound given at creation.
    public let limit: Int
    private let current = ManagedAtomic<Int>(0)

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Calls running now.
    public var inFlight: Int { self.current.load(ordering: .relaxed) }

    /// Takes a slot if one is free. Every `true` must be paired with one ``release()``.
    public func tryAcquire() -> Bool {
        var value = self.current.load(ordering: .relaxed)
        while value < self.limit {
            let (exchanged, original) = self.current.weakCompareExchange(
                expected: value,
                desired: value + 1,
                successOrdering: .acquiringAndReleasing,
                failureOrdering: .relaxed
            )
            if exchanged { return true }
            value = original
        }
        return false
    }

    /// Gives back a slot taken by ``tryAcquire()``.
    public func release() {
        self.current.wrappingDecrement(ordering: .acquiringAndReleasing)
    }
}
