import NIOCore

/// What ``BoundedQueue/push(_:)`` did with an element.
public enum BoundedQueuePushResult: Sendable, Hashable {
    /// Queued; `depth` is how many elements are queued now, this one included.
    case queued(depth: Int)
    /// Not queued. The element is still the caller's: it must count the drop with its reason (and record it where
    /// its stage records skips), because the queue keeps no trace of it.
    case dropped(BoundedQueueDropReason)
}

/// Why ``BoundedQueue/push(_:)`` refused an element.
public enum BoundedQueueDropReason: Sendable, Hashable {
    /// ``BoundedQueue/capacity`` elements are already queued.
    case full
    /// ``BoundedQueue/finish()`` was called: the stage is shutting down.
    case finished
}

/// The logic of ``BoundedQueue`` as a pure state machine: no locks, no tasks, no clock of its own. Each call
/// returns what the caller must do (which waiting consumer to wake), so every transition is tested without
/// concurrency (`BoundedQueueStateTests`).
///
/// - `Waiter` is whatever the wrapper resumes (a continuation); the state only stores and returns it.
/// - A waiter asks for "at least `threshold` elements"; a push that reaches a waiter's threshold hands that waiter
///   back to be woken, oldest waiter first. A woken consumer takes its elements itself, so several consumers can
///   share one queue.
///
/// Inlinable, like the wrapper: specialised for each element type where it is used (a comparison record, an
/// exchange), a push or take copies the element directly instead of through generic witnesses, which cost the
/// ledger 2 µs per record (bench/results/ledger.md).
public struct BoundedQueueState<Element, Waiter> {
    @usableFromInline
    struct Waiting {
        @usableFromInline var id: Int
        @usableFromInline var threshold: Int
        @usableFromInline var waiter: Waiter

        @inlinable
        init(id: Int, threshold: Int, waiter: Waiter) {
            self.id = id
            self.threshold = threshold
            self.waiter = waiter
        }
    }

    /// The most elements queued at once (at least 1).
    public let capacity: Int
    @usableFromInline var items: CircularBuffer<Element>
    @usableFromInline var waiting: [Waiting] = []
    @usableFromInline var oldestArrival: ContinuousClock.Instant?
    @usableFromInline var finished = false

    /// When the oldest queued element arrived, `nil` when the queue is empty.
    @inlinable public var oldestEnqueuedAt: ContinuousClock.Instant? { self.oldestArrival }
    /// Whether ``finish()`` was called; queued elements are still handed out.
    @inlinable public var isFinished: Bool { self.finished }

    /// - Parameter capacity: the bound; a value below 1 is taken as 1 (a queue that can hold nothing would drop
    ///   everything).
    @inlinable
    public init(capacity: Int) {
        self.capacity = Swift.max(1, capacity)
        self.items = CircularBuffer(initialCapacity: Swift.min(self.capacity, 1024))
    }

    /// Elements queued.
    @inlinable
    public var count: Int { self.items.count }
    /// Consumers registered by ``wait(id:forAtLeast:waiter:)`` and not woken yet.
    @inlinable
    public var waiterCount: Int { self.waiting.count }

    /// Queues `element` unless the queue is full or finished.
    /// - Parameter now: the arrival time, remembered as ``oldestEnqueuedAt`` when the queue was empty.
    /// - Returns: the result for the caller, and the waiter to wake (outside any lock) when this push reached its
    ///   threshold.
    @inlinable
    public mutating func push(_ element: Element, now: ContinuousClock.Instant) -> (BoundedQueuePushResult, wake: Waiter?) {
        if self.finished { return (.dropped(.finished), nil) }
        if self.items.count >= self.capacity { return (.dropped(.full), nil) }
        if self.items.isEmpty { self.oldestArrival = now }
        self.items.append(element)
        let depth = self.items.count
        guard let index = self.waiting.firstIndex(where: { $0.threshold <= depth }) else { return (.queued(depth: depth), nil) }
        return (.queued(depth: depth), self.waiting.remove(at: index).waiter)
    }

    /// Stops accepting elements. Queued elements are still handed out.
    /// - Returns: every waiter, to be woken: there is nothing more to wait for.
    @inlinable
    public mutating func finish() -> [Waiter] {
        self.finished = true
        defer { self.waiting.removeAll() }
        return self.waiting.map(\.waiter)
    }

    /// Removes and returns the oldest element, `nil` when empty.
    @inlinable
    public mutating func popFirst() -> Element? {
        let element = self.items.popFirst()
        if self.items.isEmpty { self.oldestArrival = nil }
        return element
    }

    /// Removes up to `max` elements, oldest first.
    @inlinable
    public mutating func take(max: Int) -> [Element] {
        let n = Swift.min(Swift.max(0, max), self.items.count)
        var taken: [Element] = []
        taken.reserveCapacity(n)
        for _ in 0..<n { taken.append(self.items.removeFirst()) }
        // When elements stay, `oldestEnqueuedAt` stays too: they arrived no earlier, so a deadline computed from it
        // is no later than theirs.
        if self.items.isEmpty { self.oldestArrival = nil }
        return taken
    }

    /// Removes and returns everything queued, oldest first.
    @inlinable
    public mutating func removeAll() -> [Element] {
        self.take(max: self.items.count)
    }

    /// Registers `waiter` until `threshold` elements are queued, unless there is no need to wait.
    /// - Returns: `false` when the caller must not wait (enough is queued already, or the queue is finished); the
    ///   waiter was not stored then.
    @inlinable
    public mutating func wait(id: Int, forAtLeast threshold: Int, waiter: Waiter) -> Bool {
        if self.finished || self.items.count >= threshold { return false }
        self.waiting.append(Waiting(id: id, threshold: threshold, waiter: waiter))
        return true
    }

    /// Unregisters the waiter with `id` (its task was cancelled).
    /// - Returns: the waiter to wake, `nil` when it was already woken.
    @inlinable
    public mutating func cancelWait(id: Int) -> Waiter? {
        guard let index = self.waiting.firstIndex(where: { $0.id == id }) else { return nil }
        return self.waiting.remove(at: index).waiter
    }
}
