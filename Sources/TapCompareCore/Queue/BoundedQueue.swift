import Synchronization

/// The one bounded hand-off between a caller that must never wait (a proxy event loop, a record sink) and the
/// consumer tasks of a stage (comparison workers, the ledger's batch writer, the capture writer, classification).
///
/// - Capacity: at most ``capacity`` elements are queued (at least 1; the stage's `queue_capacity` setting).
/// - When full: ``push(_:)`` refuses at once with ``BoundedQueuePushResult/dropped(_:)`` and
///   ``BoundedQueueDropReason/full``; it never blocks and never grows the queue. The element stays the caller's,
///   and the caller must count the drop with its reason (each stage has its metric and skip reason for it).
/// - After ``finish()`` (graceful shutdown): pushes are refused with ``BoundedQueueDropReason/finished``; what is
///   queued is still handed out, then the consumers' ``next()`` and ``nextBatch(max:)`` return `nil`.
/// - Order: first in, first out.
///
/// `push` takes a lock for a few instructions and wakes a waiting consumer outside it; consumers wait without
/// polling. The logic is ``BoundedQueueState``; this class adds the lock and the suspension. Both are inlinable,
/// so each stage's queue is specialised for its element type.
public final class BoundedQueue<Element: Sendable>: Sendable {
    @usableFromInline
    struct Locked {
        @usableFromInline var queue: BoundedQueueState<Element, CheckedContinuation<Void, Never>>
        @usableFromInline var nextWaiterID = 0

        @inlinable
        init(queue: BoundedQueueState<Element, CheckedContinuation<Void, Never>>) {
            self.queue = queue
        }
    }

    /// The most elements queued at once.
    public let capacity: Int
    @usableFromInline let state: Mutex<Locked>

    /// - Parameter capacity: the bound; a value below 1 is taken as 1.
    @inlinable
    public init(capacity: Int) {
        let queue = BoundedQueueState<Element, CheckedContinuation<Void, Never>>(capacity: capacity)
        self.capacity = queue.capacity
        self.state = Mutex(Locked(queue: queue))
    }

    // MARK: Producer

    /// Queues `element`, or refuses it at once when the queue is full or finished. Never waits.
    /// - Returns: ``BoundedQueuePushResult/queued(depth:)``, or ``BoundedQueuePushResult/dropped(_:)`` with the
    ///   reason the caller must count.
    @inlinable
    public func push(_ element: Element) -> BoundedQueuePushResult {
        let now = ContinuousClock.now
        let (result, wake) = self.state.withLock { $0.queue.push(element, now: now) }
        wake?.resume()
        return result
    }

    /// Queues `elements` in order under one lock, waking the consumers they satisfy once the lot is in: one
    /// wake-up for a batch instead of one per element. Each element is queued or refused as ``push(_:)`` would.
    /// - Returns: each element's result, in order.
    @inlinable
    public func push(contentsOf elements: [Element]) -> [BoundedQueuePushResult] {
        let now = ContinuousClock.now
        var wakes: [CheckedContinuation<Void, Never>] = []
        let results = self.state.withLock { state in
            elements.map { element in
                let (result, wake) = state.queue.push(element, now: now)
                if let wake { wakes.append(wake) }
                return result
            }
        }
        for wake in wakes { wake.resume() }
        return results
    }

    /// Stops accepting elements and wakes every waiting consumer; queued elements are still handed out.
    @inlinable
    public func finish() {
        let waiters = self.state.withLock { $0.queue.finish() }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Consumers

    /// The oldest element, waiting while the queue is empty; `nil` once the queue is finished and drained.
    /// Any number of consumers may call it at once; each element goes to one of them.
    ///
    /// A consumer cancelled while it waits finishes the queue (later pushes are refused, so counted by their
    /// callers) and goes on handing out what is queued: cancellation never strands an element uncounted.
    @inlinable
    public func next() async -> Element? {
        while true {
            let (element, finished) = self.state.withLock { state in
                (state.queue.popFirst(), state.queue.isFinished)
            }
            if let element { return element }
            if finished { return nil }
            await self.suspend(forAtLeast: 1, finishOnCancel: true)
        }
    }

    /// Up to `max` (at least 1) of the oldest elements, waiting while the queue is empty; `nil` once the queue is finished and
    /// drained. For a single consumer that writes in batches. Cancellation while waiting behaves as in ``next()``.
    @inlinable
    public func nextBatch(max: Int) async -> [Element]? {
        while true {
            let (batch, finished) = self.state.withLock { state in
                (state.queue.take(max: Swift.max(1, max)), state.queue.isFinished)
            }
            if !batch.isEmpty { return batch }
            if finished { return nil }
            await self.suspend(forAtLeast: 1, finishOnCancel: true)
        }
    }

    /// Suspends until at least `threshold` elements are queued, the queue is finished, or the task is cancelled
    /// (the queue stays open then: a consumer racing this wait against a deadline cancels it). Takes nothing.
    @inlinable
    public func wait(forAtLeast threshold: Int) async {
        await self.suspend(forAtLeast: threshold, finishOnCancel: false)
    }

    /// Removes up to `max` elements, oldest first, without waiting.
    @inlinable
    public func take(max: Int) -> [Element] {
        self.state.withLock { $0.queue.take(max: max) }
    }

    /// Removes everything queued, oldest first (to count what a shutdown leaves behind).
    @inlinable
    public func removeAll() -> [Element] {
        self.state.withLock { $0.queue.removeAll() }
    }

    /// Elements queued.
    @inlinable
    public var count: Int { self.state.withLock { $0.queue.count } }
    /// Consumers waiting for elements (for tests that must know a consumer is waiting before they push).
    @inlinable
    public var waitingConsumers: Int { self.state.withLock { $0.queue.waiterCount } }
    /// Whether ``finish()`` was called.
    @inlinable
    public var isFinished: Bool { self.state.withLock { $0.queue.isFinished } }
    /// When the oldest queued element arrived, `nil` when the queue is empty (for flush deadlines).
    @inlinable
    public var oldestEnqueuedAt: ContinuousClock.Instant? { self.state.withLock { $0.queue.oldestEnqueuedAt } }

    // MARK: Waiting

    @usableFromInline
    func suspend(forAtLeast threshold: Int, finishOnCancel: Bool) async {
        let id = self.state.withLock { state in
            defer { state.nextWaiterID &+= 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (waiting, others) = self.state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    // Cancelled before the waiter is stored: the cancellation handler may already have run.
                    if Task.isCancelled { return (false, finishOnCancel ? state.queue.finish() : []) }
                    return (state.queue.wait(id: id, forAtLeast: threshold, waiter: continuation), [])
                }
                for other in others { other.resume() }
                if !waiting { continuation.resume() }
            }
        } onCancel: {
            if finishOnCancel {
                self.finish()
            } else {
                let waiter = self.state.withLock { $0.queue.cancelWait(id: id) }
                waiter?.resume()
            }
        }
    }
}
