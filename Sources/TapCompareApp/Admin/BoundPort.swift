import NIOConcurrencyHelpers

/// The admin listener's bound port, published once it is known, or why it never will be; callers of ``wait()``
/// are resumed with whichever comes first.
final class BoundPort: Sendable {
    private struct State {
        var outcome: Result<Int, any Error>?
        /// One a caller of ``wait()`` before the outcome (in `serve`, the proxy alone).
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// The port, once bound.
    var value: Int? { self.state.withLockedValue { try? $0.outcome?.get() } }

    /// The listener is bound to `port`.
    func set(_ port: Int) { self.resolve(.success(port)) }

    /// The listener will not be bound; ignored once it was.
    func fail(_ error: any Error) { self.resolve(.failure(error)) }

    /// The port, once bound; throws what ``fail(_:)`` was given.
    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = self.state.withLockedValue { state in
                if state.outcome == nil { state.waiters.append(continuation) }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// The first outcome stands.
    private func resolve(_ outcome: Result<Int, any Error>) {
        let waiters = self.state.withLockedValue { state -> [CheckedContinuation<Int, any Error>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
