import NIOConcurrencyHelpers
import TapCompareCore

/// An ``ExchangeSink`` that keeps every exchange it is given, for tests to inspect.
public final class RecordingExchangeSink: ExchangeSink {
    private let exchanges = NIOLockedValueBox<[Exchange]>([])

    public init() {}

    private let batchSizes = NIOLockedValueBox<[Int]>([])

    public func submit(_ exchange: Exchange) {
        self.exchanges.withLockedValue { $0.append(exchange) }
        self.batchSizes.withLockedValue { $0.append(1) }
    }

    public func submit(contentsOf exchanges: [Exchange]) {
        self.exchanges.withLockedValue { $0.append(contentsOf: exchanges) }
        self.batchSizes.withLockedValue { $0.append(exchanges.count) }
    }

    /// How many exchanges each hand-over brought, in order (1 for each single ``submit(_:)``).
    public var handOvers: [Int] { self.batchSizes.withLockedValue { $0 } }

    /// Everything submitted so far, in order.
    public var recorded: [Exchange] { self.exchanges.withLockedValue { $0 } }
    public var count: Int { self.exchanges.withLockedValue { $0.count } }

    /// Waits (polling, for tests) until at least `count` exchanges arrived; returns them. `timeout` is scaled
    /// by ``TestTiming``.
    @discardableResult
    public func waitFor(count: Int, timeout: Duration = TestTiming.eventWait) async -> [Exchange] {
        _ = await pollUntil(timeout: timeout, poll: .milliseconds(5)) { self.recorded.count >= count }
        return self.recorded
    }
}
