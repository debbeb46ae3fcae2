import NIOConcurrencyHelpers

/// Resumes a continuation exactly once, with whichever of an operation and its timeout finishes first.
final class TimeoutRace: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var result: Result<Void, any Error>?
    }

    private let state = NIOLockedValueBox(State())

    func arm(_ continuation: CheckedContinuation<Void, any Error>) {
        let early = self.state.withLockedValue { state -> Result<Void, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// - Returns: `true` when this call decided the outcome.
    @discardableResult
    func finish(_ result: Result<Void, any Error>) -> Bool {
        let (won, continuation) = self.state.withLockedValue { state -> (Bool, CheckedContinuation<Void, any Error>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = result
            defer { state.continuation = nil }
            return (true, state.continuation)
        }
        continuation?.resume(with: result)
        return won
    }
}
