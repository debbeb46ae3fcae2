import NIOCore

/// A timer whose deadline moves on every request, scheduled at most once per timeout instead of once per move.
///
/// A keep-alive connection arms and disarms its header and idle timers around every request. Scheduling a NIO
/// task each time costs an allocation, a heap insertion, and on cancel a linear search of the event loop's whole
/// task heap (`PriorityQueue.removeFirst(where:)`): with 256 connections, three timers each, every request paid
/// for hundreds of comparisons. Here arming only records the deadline; a task is scheduled when none is pending
/// or the new deadline is earlier than the pending one. When the pending task fires before the recorded
/// deadline (the deadline moved on), it schedules itself again for the deadline; when the timer was disarmed, it
/// does nothing. So a busy connection schedules one task per timeout period.
///
/// Loop-confined: every method runs on `eventLoop`. The pending task holds the timer, and the timer holds
/// `onExpiry` until it fires or is cancelled: an owner re-arms with ``arm(at:)`` and the closure it gave once, so
/// a request costs no allocation. An owner whose closure captures itself must call ``cancel()`` when it goes
/// away (a closed channel, a removed handler), which breaks the cycle.
final class CoalescedTimer {
    private let eventLoop: any EventLoop
    /// When the timer expires; `nil` when disarmed.
    private(set) var deadline: NIODeadline?
    private var onExpiry: (() -> Void)?
    /// The task scheduled now, and when it fires.
    private var pending: (task: Scheduled<Void>, firesAt: NIODeadline)?

    /// When the task scheduled now fires, `nil` when none is: later than ``deadline`` never, earlier when the
    /// deadline moved on since it was scheduled.
    var scheduledAt: NIODeadline? { self.pending?.firesAt }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Expires at `deadline` (replacing any earlier arming) and then calls `onExpiry`, unless disarmed first.
    func arm(at deadline: NIODeadline, onExpiry: @escaping () -> Void) {
        self.onExpiry = onExpiry
        self.arm(at: deadline)
    }

    /// Expires at `deadline` (replacing any earlier arming) and then calls the `onExpiry` given last, unless
    /// disarmed first. Does nothing once cancelled, or before a closure was ever given.
    func arm(at deadline: NIODeadline) {
        guard self.onExpiry != nil else { return }
        self.deadline = deadline
        if let pending = self.pending {
            // The pending task fires first and re-schedules itself for this deadline.
            if pending.firesAt <= deadline { return }
            pending.task.cancel()
        }
        self.schedule(at: deadline)
    }

    /// Stops the timer, keeping its closure for the next ``arm(at:)``. A task still pending fires once, finds
    /// nothing armed and ends.
    func disarm() {
        self.deadline = nil
    }

    /// Stops the timer, drops its closure and cancels its pending task: for an owner going away (a closed
    /// channel), which should not be kept alive by the closure or the task.
    func cancel() {
        self.deadline = nil
        self.onExpiry = nil
        self.pending?.task.cancel()
        self.pending = nil
    }

    private func schedule(at firesAt: NIODeadline) {
        let task = self.eventLoop.assumeIsolated().scheduleTask(deadline: firesAt) { [self] in
            self.pending = nil
            guard let deadline = self.deadline else { return }
            if self.eventLoop.now < deadline {
                self.schedule(at: deadline)
                return
            }
            self.deadline = nil
            self.onExpiry?()
        }
        self.pending = (task, firesAt)
    }
}
