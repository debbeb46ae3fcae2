import NIOConcurrencyHelpers
import TapCompareCore

/// The bounded hand-off between `record(_:)` (any thread, never waits) and the batch writer (one task).
///
/// `push` takes a lock for a few instructions and returns `false` when the queue is full or closed; the writer
/// waits for "a full batch or the flush deadline" without polling.
final class RecordQueue: Sendable {
    private struct State {
        /// Records from `head` on are queued; the consumed prefix is dropped once it is half the array, so a
        /// take costs the batch it returns, not a shift of everything behind it.
        var items: [ComparisonRecord] = []
        var head = 0
        var count: Int { self.items.count - self.head }
        var oldest: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        var threshold = 1
        var closed = false
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    enum PushResult {
        case accepted(depth: Int)
        case full
        case closed
    }

    func push(_ record: ComparisonRecord) -> PushResult {
        let (result, wake) = self.state.withLockedValue { state -> (PushResult, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (.closed, nil) }
            guard state.count < self.capacity else { return (.full, nil) }
            if state.count == 0 { state.oldest = .now }
            state.items.append(record)
            var wake: CheckedContinuation<Void, Never>?
            if state.count >= state.threshold {
                wake = state.waiter
                state.waiter = nil
            }
            return (.accepted(depth: state.count), wake)
        }
        wake?.resume()
        return result
    }

    /// Stops accepting records and wakes the writer so it can drain what is left.
    func close() {
        let wake = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        wake?.resume()
    }

    var isClosed: Bool { self.state.withLockedValue { $0.closed } }
    var count: Int { self.state.withLockedValue { $0.count } }
    /// When the oldest queued record arrived, `nil` when the queue is empty.
    var oldest: ContinuousClock.Instant? { self.state.withLockedValue { $0.oldest } }

    /// Removes up to `max` records, oldest first.
    func take(max: Int) -> [ComparisonRecord] {
        self.state.withLockedValue { state in
            let n = Swift.min(max, state.count)
            let batch = Array(state.items[state.head..<(state.head + n)])
            state.head += n
            if state.count == 0 {
                state.items.removeAll(keepingCapacity: true)
                state.head = 0
                state.oldest = nil
            } else {
                if state.head >= self.capacity / 2 {
                    state.items.removeFirst(state.head)
                    state.head = 0
                }
                // `oldest` stays: the rest arrived no earlier, so their flush deadline is no later than it says.
            }
            return batch
        }
    }

    /// Suspends until at least `threshold` records are queued, the queue is closed, or the task is cancelled.
    func wait(forAtLeast threshold: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLockedValue { state -> Bool in
                    if state.closed || state.count >= threshold || Task.isCancelled { return true }
                    state.threshold = threshold
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let wake = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            wake?.resume()
        }
    }
}
