import NIOCore

/// The `mirror.timeout` of every candidate call on one event loop, with one scheduled task for the earliest
/// instead of one per call.
///
/// A task per call cost three allocations (task, promise, future), a heap insertion, and at the call's end a
/// cancel that searches the loop's whole task heap linearly — more the more connections the loop serves
/// (`perf` at 256 connections, issue 16). All calls on a loop share the timeout, so the order they start in is
/// the order they expire in: the calls wait in a list in start order (linked through the calls themselves, so
/// adding one allocates nothing), a finished call is unlinked in O(1), and the oldest is always the next to
/// expire. At most one task is pending; a call that finishes does not cancel it. When it fires it times out every
/// call past its deadline and schedules itself again for the oldest one left, so a busy loop schedules about one
/// task per timeout period.
///
/// Loop-confined: every method runs on ``eventLoop``. The list holds its calls strongly until they finish or
/// expire, as their scheduled tasks did.
final class CandidateDeadlines {
    let eventLoop: any EventLoop
    /// `mirror.timeout`.
    let timeout: TimeAmount
    /// The oldest call waiting, and the newest.
    private var oldest: CandidateCall?
    private unowned(unsafe) var newest: CandidateCall?
    /// When the pending task fires, `nil` when none is.
    private(set) var scheduledAt: NIODeadline?
    /// Calls waiting now.
    private(set) var count = 0

    init(eventLoop: any EventLoop, timeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.timeout = timeout
    }

    /// Starts `call`'s clock: it expires (``CandidateCall/expired()``) `timeout` from now unless removed first.
    /// - Returns: its deadline.
    @discardableResult
    func add(_ call: CandidateCall) -> NIODeadline {
        let deadline = self.eventLoop.now + self.timeout
        call.deadline = deadline
        call.olderWaiting = self.newest
        call.newerWaiting = nil
        if let newest = self.newest { newest.newerWaiting = call } else { self.oldest = call }
        self.newest = call
        call.isWaiting = true
        self.count += 1
        if self.scheduledAt == nil { self.schedule(at: deadline) }
        return deadline
    }

    /// `call` ended before its deadline: it no longer waits.
    func remove(_ call: CandidateCall) {
        guard call.isWaiting else { return }
        call.isWaiting = false
        self.count -= 1
        let older = call.olderWaiting
        let newer = call.newerWaiting
        if let older { older.newerWaiting = newer } else { self.oldest = newer }
        if let newer { newer.olderWaiting = older } else { self.newest = older }
        call.olderWaiting = nil
        call.newerWaiting = nil
    }

    private func schedule(at deadline: NIODeadline) {
        self.scheduledAt = deadline
        self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.scheduledAt = nil
            self.expire(now: self.eventLoop.now)
        }
    }

    /// Expires every call whose deadline is `now` or earlier, then schedules the task for the oldest one left.
    private func expire(now: NIODeadline) {
        while let call = self.oldest {
            guard call.deadline <= now else {
                self.schedule(at: call.deadline)
                return
            }
            self.remove(call)
            call.expired()
        }
    }
}
