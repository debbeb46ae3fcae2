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
/// `onExpiry` only while armed, so an owner that arms it with a closure capturing itself lives until the timer
/// fires, is disarmed or is cancelled (as with a plain scheduled task).
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
        self.deadline = deadline
        self.onExpiry = onExpiry
        if let pending = self.pending {
            // The pending task fires first and re-schedules itself for this deadline.
            if pending.firesAt <= deadline { return }
            pending.task.cancel()
        }
        self.schedule(at: deadline)
    }

    /// Stops the timer. A task still pending fires once, finds nothing armed and ends.
    func disarm() {
        self.deadline = nil
        self.onExpiry = nil
    }

    /// Stops the timer and cancels its pending task: for an owner going away (a closed channel), which should not
    /// be kept alive by the task until it fires.
    func cancel() {
        self.disarm()
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
            let onExpiry = self.onExpiry
            self.disarm()
            onExpiry?()
        }
        self.pending = (task, firesAt)
    }
}
