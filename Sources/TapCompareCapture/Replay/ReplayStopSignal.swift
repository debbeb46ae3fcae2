import NIOConcurrencyHelpers

/// Asks a running replay to stop scheduling (SIGINT during `--loop`): requests already in flight are answered
/// and counted, the summary and reports are written as for a finished run.
///
/// Not task cancellation: cancelling the replay's task would cancel the requests in flight too, and they would
/// be counted as candidate errors that the candidate never made.
public final class ReplayStopSignal: Sendable {
    private struct State {
        var stopped = false
        var observers: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public func stop() {
        let observers = self.state.withLockedValue { state -> [@Sendable () -> Void] in
            guard !state.stopped else { return [] }
            state.stopped = true
            defer { state.observers = [] }
            return state.observers
        }
        for observer in observers { observer() }
    }

    public var isStopped: Bool { self.state.withLockedValue { $0.stopped } }

    /// Calls `observer` once when the replay is asked to stop (at once when it already was): how a waiting
    /// scheduler is woken instead of polling ``isStopped``.
    func whenStopped(_ observer: @escaping @Sendable () -> Void) {
        let now = self.state.withLockedValue { state -> Bool in
            if state.stopped { return true }
            state.observers.append(observer)
            return false
        }
        if now { observer() }
    }
}
