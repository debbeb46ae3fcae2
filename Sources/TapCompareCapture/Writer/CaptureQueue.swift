import NIOConcurrencyHelpers

/// The bounded hand-off between the proxy's event loops and the capture writer.
///
/// ``push(_:)`` never waits: it appends or refuses (full, or finished), so the caller can count the drop.
/// ``next()`` waits for at least one element and returns everything queued, so the writer batches naturally.
final class CaptureQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    enum PushResult: Equatable {
        case queued
        case full
        case finished
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func push(_ element: Element) -> PushResult {
        let (result, waiter) = self.state.withLockedValue { state -> (PushResult, CheckedContinuation<Void, Never>?) in
            if state.finished { return (.finished, nil) }
            if state.items.count >= self.capacity { return (.full, nil) }
            state.items.append(element)
            let w = state.waiter
            state.waiter = nil
            return (.queued, w)
        }
        waiter?.resume()
        return result
    }

    /// Stops accepting; ``next()`` returns what is left, then `nil`.
    func finish() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            let w = state.waiter
            state.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Everything queued (at least one element), or `nil` once finished and empty. Only one consumer.
    func next() async -> [Element]? {
        while true {
            let taken = self.state.withLockedValue { state -> [Element]? in
                if state.items.isEmpty { return nil }
                let items = state.items
                state.items.removeAll(keepingCapacity: true)
                return items
            }
            if let taken { return taken }
            if self.state.withLockedValue({ $0.finished }) { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLockedValue { state -> Bool in
                    if !state.items.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    var count: Int { self.state.withLockedValue { $0.items.count } }
}
