import NIOCore
import Testing
@testable import TapCompareProxy

/// `listener.send_timeout` as a policy, with no sockets: the clock runs only while the response waits on the client,
/// progress (bytes leaving the channel, or acknowledged by the client's TCP) restarts it, and a client that takes
/// nothing is cut exactly at the timeout.
@Suite("Send deadline") struct SendDeadlineTests {
    static let timeout = TimeAmount.seconds(60)
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func at(_ seconds: Int64) -> NIODeadline { Self.start + .seconds(seconds) }

    @Test("a client that takes nothing is cut off exactly send_timeout after the stall began, checked every quarter")
    func stuckClient() {
        var deadline = SendDeadline(timeout: Self.timeout)
        #expect(deadline.checkInterval == .seconds(15))
        #expect(deadline.stalled(now: Self.at(0), buffered: 100_000, acked: nil) == .arm(Self.at(15)))
        // Stalling again while stalled changes nothing (the clock is not restarted).
        #expect(deadline.stalled(now: Self.at(5), buffered: 100_000, acked: nil) == .none)
        #expect(deadline.timerFired(now: Self.at(15), buffered: 100_000, acked: nil) == .arm(Self.at(30)))
        #expect(deadline.timerFired(now: Self.at(30), buffered: 100_000, acked: nil) == .arm(Self.at(45)))
        #expect(deadline.timerFired(now: Self.at(45), buffered: 100_000, acked: nil) == .arm(Self.at(60)))
        #expect(deadline.timerFired(now: Self.at(60), buffered: 100_000, acked: nil) == .expire)
        #expect(deadline.state == .done)
        // Nothing happens after.
        #expect(deadline.timerFired(now: Self.at(75), buffered: 100_000, acked: nil) == .none)
        #expect(deadline.stalled(now: Self.at(75), buffered: 1, acked: nil) == .none)
    }

    @Test("bytes leaving the buffer between two checks restart the clock; more bytes queued are not progress")
    func progressRestartsTheClock() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: nil)
        // Taken a little: progress seen at this check.
        #expect(deadline.timerFired(now: Self.at(15), buffered: 90_000, acked: nil) == .arm(Self.at(30)))
        #expect(deadline.timerFired(now: Self.at(30), buffered: 80_000, acked: nil) == .arm(Self.at(45)))
        // The rest of a read burst queued behind: more bytes, not progress.
        #expect(deadline.timerFired(now: Self.at(45), buffered: 120_000, acked: nil) == .arm(Self.at(60)))
        #expect(deadline.timerFired(now: Self.at(60), buffered: 120_000, acked: nil) == .arm(Self.at(75)))
        // Then nothing: cut a timeout after the last progress seen (30 s).
        #expect(deadline.timerFired(now: Self.at(75), buffered: 120_000, acked: nil) == .arm(Self.at(90)))
        #expect(deadline.timerFired(now: Self.at(90), buffered: 120_000, acked: nil) == .expire)
    }

    @Test("the client's TCP acknowledging bytes since the last check restarts the clock, though the channel saw none leave (a slow reader: the kernel lets it write again only after a third of its send buffer)")
    func acknowledgedBytesRestartTheClock() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: 5_000)
        #expect(deadline.timerFired(now: Self.at(15), buffered: 100_000, acked: 5_000) == .arm(Self.at(30)))
        #expect(deadline.timerFired(now: Self.at(30), buffered: 100_000, acked: 5_000) == .arm(Self.at(45)))
        // Bytes acknowledged between 30 s and 45 s: the stall is not a stall, the clock restarts from this check.
        #expect(deadline.timerFired(now: Self.at(45), buffered: 100_000, acked: 6_024) == .arm(Self.at(60)))
        // At 60 s, where the clock started at 0 would have cut it, it goes on; and on again while bytes are taken.
        #expect(deadline.timerFired(now: Self.at(60), buffered: 100_000, acked: 7_048) == .arm(Self.at(75)))
        #expect(deadline.timerFired(now: Self.at(75), buffered: 100_000, acked: 7_048) == .arm(Self.at(90)))
        #expect(deadline.timerFired(now: Self.at(90), buffered: 100_000, acked: 7_048) == .arm(Self.at(105)))
        #expect(deadline.timerFired(now: Self.at(105), buffered: 100_000, acked: 7_048) == .arm(Self.at(120)))
        // Then nothing acknowledged for a timeout after the last progress seen (60 s): cut.
        #expect(deadline.timerFired(now: Self.at(120), buffered: 100_000, acked: 7_048) == .expire)
        #expect(deadline.state == .done)
    }

    @Test("bytes acknowledged by the time the deadline passes, since the clock started: the clock restarts from now instead of cutting")
    func acknowledgedAtTheDeadline() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: 5_000)
        // The loop was busy: the only check runs past the deadline.
        #expect(deadline.timerFired(now: Self.at(61), buffered: 100_000, acked: 5_001) == .arm(Self.at(76)))
        #expect(deadline.timerFired(now: Self.at(121), buffered: 100_000, acked: 5_001) == .expire)
    }

    @Test("the acknowledged count not moving is no progress: cut exactly send_timeout after the stall began")
    func acknowledgedCountStill() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: 5_000)
        #expect(deadline.timerFired(now: Self.at(15), buffered: 100_000, acked: 5_000) == .arm(Self.at(30)))
        #expect(deadline.timerFired(now: Self.at(30), buffered: 100_000, acked: 5_000) == .arm(Self.at(45)))
        #expect(deadline.timerFired(now: Self.at(45), buffered: 100_000, acked: 5_000) == .arm(Self.at(60)))
        #expect(deadline.timerFired(now: Self.at(60), buffered: 100_000, acked: 5_000) == .expire)
    }

    @Test("a count that could not be read (nil: not Linux, an error, an HTTP/2 stream on a writable connection) is no progress and no baseline: only two readings in a row tell")
    func unreadableAcknowledgedCount() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: nil, acked: nil)
        // First reading: nothing to compare it with.
        #expect(deadline.timerFired(now: Self.at(15), buffered: nil, acked: 9_000) == .arm(Self.at(30)))
        // Unreadable again, then higher than the reading before the gap: the gap's bytes are not counted.
        #expect(deadline.timerFired(now: Self.at(30), buffered: nil, acked: nil) == .arm(Self.at(45)))
        #expect(deadline.timerFired(now: Self.at(45), buffered: nil, acked: 12_000) == .arm(Self.at(60)))
        #expect(deadline.timerFired(now: Self.at(60), buffered: nil, acked: 12_000) == .expire)
    }

    @Test("a late check still arms no later than the deadline, and a check past it expires at once")
    func lateChecks() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: nil)
        // The loop was busy: the check runs at 50 s; the next is due at the deadline, not 15 s later.
        #expect(deadline.timerFired(now: Self.at(50), buffered: 100_000, acked: nil) == .arm(Self.at(60)))
        #expect(deadline.timerFired(now: Self.at(61), buffered: 100_000, acked: nil) == .expire)
    }

    @Test("writable again: the timer is disarmed, and a later stall starts a new clock")
    func flowingAgain() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 100_000, acked: nil)
        #expect(deadline.flowing() == .disarm)
        #expect(deadline.state == .flowing)
        #expect(deadline.flowing() == .none)
        // A check still pending from before finds nothing to do.
        #expect(deadline.timerFired(now: Self.at(15), buffered: 100_000, acked: nil) == .none)
        #expect(deadline.stalled(now: Self.at(50), buffered: 100_000, acked: nil) == .arm(Self.at(65)))
        #expect(deadline.timerFired(now: Self.at(110), buffered: 100_000, acked: nil) == .expire)
    }

    @Test("an HTTP/2 stream cannot tell its buffered bytes: only its writability coming back is progress")
    func unknownBuffer() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: nil, acked: nil)
        #expect(deadline.timerFired(now: Self.at(15), buffered: nil, acked: nil) == .arm(Self.at(30)))
        #expect(deadline.timerFired(now: Self.at(60), buffered: nil, acked: nil) == .expire)
    }

    @Test("everything went out by the check: not stalled any more, never cut")
    func drained() {
        var deadline = SendDeadline(timeout: Self.timeout)
        _ = deadline.stalled(now: Self.at(0), buffered: 10, acked: nil)
        #expect(deadline.timerFired(now: Self.at(15), buffered: 0, acked: nil) == .none)
        #expect(deadline.state == .flowing)
        #expect(deadline.timerFired(now: Self.at(90), buffered: 0, acked: nil) == .none)
    }

    @Test("the connection closing stops the clock for good")
    func closed() {
        var deadline = SendDeadline(timeout: Self.timeout)
        #expect(deadline.closed() == .none)
        var stalled = SendDeadline(timeout: Self.timeout)
        _ = stalled.stalled(now: Self.at(0), buffered: 100_000, acked: nil)
        #expect(stalled.closed() == .disarm)
        #expect(stalled.timerFired(now: Self.at(60), buffered: 100_000, acked: nil) == .none)
        #expect(stalled.stalled(now: Self.at(60), buffered: 100_000, acked: nil) == .none)
    }
}
