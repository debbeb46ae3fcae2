import NIOCore

/// Something that waits in a ``SharedTimeoutList``: it carries its own links, so adding it allocates nothing.
/// The list sets these properties; the member only declares them (`olderWaiting` as `unowned(unsafe)`: the list
/// holds every member through the `newerWaiting` chain).
protocol SharedTimeoutMember: AnyObject {
    var deadline: NIODeadline { get set }
    var isWaiting: Bool { get set }
    var newerWaiting: Self? { get set }
    var olderWaiting: Self? { get set }
    /// The timeout passed before the member was removed.
    func expired()
}

/// One timeout shared by many members on one event loop (the candidate calls' `mirror.timeout`), with one
/// scheduled task for the earliest deadline instead of one per member.
///
/// A task per candidate call cost three allocations (task, promise, future), a heap insertion, and at the call's
/// end a cancel that searches the loop's whole task heap linearly — more the more connections the loop serves
/// (`perf` at 256 connections, issue 16). With one timeout, the order members are added in is the order they
/// expire in: they wait in a list in that order, a member that is done is unlinked in O(1), and the oldest is
/// always the next to expire. At most one task is pending, and a member leaving does not cancel it. When it fires
/// it expires every member past its deadline and schedules itself again for the oldest one left, so a busy loop
/// schedules about one task per timeout period.
///
/// Loop-confined: every method runs on ``eventLoop``. The list holds its members strongly until they are removed
/// or expire, as their scheduled tasks did.
final class SharedTimeoutList<Member: SharedTimeoutMember> {
    let eventLoop: any EventLoop
    let timeout: TimeAmount
    /// The oldest member waiting, and the newest.
    private var oldest: Member?
    private unowned(unsafe) var newest: Member?
    /// When the pending task fires, `nil` when none is.
    private(set) var scheduledAt: NIODeadline?
    /// Members waiting now.
    private(set) var count = 0

    init(eventLoop: any EventLoop, timeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.timeout = timeout
    }

    /// Starts `call`'s clock: it expires (``SharedTimeoutMember/expired()``) `timeout` from now unless removed
    /// first.
    /// - Returns: its deadline.
    @discardableResult
    func add(_ call: Member) -> NIODeadline {
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

    /// `call` ended before its deadline: it no longer waits (nothing happens when it was not waiting).
    func remove(_ call: Member) {
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

    /// Expires every member whose deadline is `now` or earlier, then schedules the task for the oldest one left.
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
