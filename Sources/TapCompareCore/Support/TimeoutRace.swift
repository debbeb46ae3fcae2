import Synchronization

/// Resumes a continuation exactly once, with whichever of an operation and its timeout finishes first.
///
/// For calls into drivers that may not stop when cancelled (a database call stuck on a dead connection): the
/// caller gets its answer or its timeout on time, and the abandoned operation finishes (or not) on its own.
public final class TimeoutRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var result: Result<Value, any Error>?
    }

    private let state = Mutex(State())

    public init() {}

    public func arm(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = self.state.withLock { state -> Result<Value, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// - Returns: `true` when this call decided the outcome.
    @discardableResult
    public func finish(_ result: Result<Value, any Error>) -> Bool {
        let (won, continuation) = self.state.withLock { state -> (Bool, CheckedContinuation<Value, any Error>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = result
            defer { state.continuation = nil }
            return (true, state.continuation)
        }
        continuation?.resume(with: result)
        return won
    }
}

/// Runs `operation` in a task of its own and returns its result, or throws `timeoutError()` once `timeout` has
/// passed, cancelling (and no longer waiting for) the operation.
///
/// Unlike a task group, which waits for every child before it returns, this gives up on time even when the
/// operation ignores cancellation.
public func withAbandoningTimeout<Value: Sendable>(
    _ timeout: Duration,
    timeoutError: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = TimeoutRace<Value>()
    let work = Task {
        do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
    }
    let timer = Task {
        try await Task.sleep(for: timeout)
        if race.finish(.failure(timeoutError())) { work.cancel() }
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { race.arm($0) }
    } onCancel: {
        work.cancel()
    }
}
