import NIOConcurrencyHelpers

/// What `/readyz` reports: ready once every registered component has said so (the proxy is listening, the
/// ledger is migrated), not ready again while shutting down so load balancers drain this instance first.
public final class Readiness: Sendable {
    private let state = NIOLockedValueBox<[String: Bool]>([:])

    public init() {}

    /// Declares a component that must become ready before the whole is.
    public func register(_ component: String) {
        self.state.withLockedValue { $0[component] = false }
    }

    public func set(_ component: String, ready: Bool) {
        self.state.withLockedValue { $0[component] = ready }
    }

    /// Ready when at least one component is registered and all are ready.
    public var isReady: Bool {
        self.state.withLockedValue { !$0.isEmpty && $0.values.allSatisfy { $0 } }
    }

    /// The components not ready yet, for the `/readyz` body.
    public var pending: [String] {
        self.state.withLockedValue { $0.filter { !$0.value }.keys.sorted() }
    }
}
