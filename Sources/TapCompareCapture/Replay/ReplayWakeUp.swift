import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// What the replay's scheduler sleeps on: a worker finished (a slot is free), the run was asked to stop, or a due
/// time came. Every wait ends on an event (a signal, a timer, the task's cancellation), never by polling, and a
/// cancelled task's wait returns at once rather than spinning.
///
/// Coalescing, for one waiter (the scheduler): a signal with no one waiting is kept until the next wait, and several
/// such signals are one. A waiter re-checks its condition after every wake-up, so a wake-up that turns out to be
/// stale costs one check.
final class ReplayWakeUp: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// Wakes the waiter, or the next wait when no one waits.
    func signal() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for a signal, or until `deadline` when one is given; returns at once when the task is cancelled.
    func wait(until deadline: ContinuousClock.Instant? = nil) async {
        let timer = deadline.map { deadline in
            MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(ContinuousClock.now.duration(to: deadline))) {
                self.signal()
            }
        }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = self.state.withLockedValue { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.signal()
        }
    }
}
