import Testing
@testable import TapCompareProxy

/// How a tunnel's end closes, with no sockets: the other side closing drains this end (bounded), a half-close is passed
/// on unless it completes both directions, and the idle timeout or a quiesce closes at once.
@Suite("Tunnel end close") struct TunnelEndCloseTests {
    @Test("the other side closing: drain, then shut the output and linger, then close; each step once")
    func partnerClosedDrains() {
        var end = TunnelEndClose()
        #expect(end.forwards)
        #expect(end.partnerClosed() == .drain)
        #expect(!end.forwards, "nothing goes to the closed side")
        #expect(end.partnerClosed() == .none)
        #expect(end.partnerInputClosed() == .none)
        #expect(end.drained(written: true) == .linger)
        #expect(end.drainTimedOut() == .none, "a timer firing late does not cut a drained end off")
        #expect(end.lingerEnded() == .close)
        #expect(end.state == .closed)
        #expect(end.closeNow() == .none)
    }

    @Test("a peer that takes none of the queued bytes is cut off once; a drain whose write failed just closes")
    func drainBounds() {
        var stuck = TunnelEndClose()
        #expect(stuck.partnerClosed() == .drain)
        #expect(stuck.drainTimedOut() == .cutOff)
        #expect(stuck.drained(written: false) == .none, "the cut-off's failed write changes nothing")
        #expect(stuck.state == .closed)

        var failed = TunnelEndClose()
        #expect(failed.partnerClosed() == .drain)
        #expect(failed.drained(written: false) == .close)
        #expect(failed.drainTimedOut() == .none)
    }

    @Test("the other side's half-close shuts this end's output, unless this end's input already ended: then it drains (NIO would close at once)")
    func halfCloses() {
        var open = TunnelEndClose()
        #expect(open.partnerInputClosed() == .shutOutput)
        #expect(open.state == .open, "the other direction goes on")
        open.inputEnded()
        #expect(open.partnerClosed() == .drain)

        var inputEnded = TunnelEndClose()
        inputEnded.inputEnded()
        #expect(inputEnded.partnerInputClosed() == .drain)

        var halfClosedBeforeTheTunnel = TunnelEndClose(inputClosed: true)
        #expect(halfClosedBeforeTheTunnel.partnerInputClosed() == .drain)
    }

    @Test("a quiesce closes at once, also mid-drain; a closed channel does nothing more")
    func closeNow() {
        var open = TunnelEndClose()
        #expect(open.closeNow() == .close)
        #expect(open.partnerClosed() == .none)

        var draining = TunnelEndClose()
        #expect(draining.partnerClosed() == .drain)
        #expect(draining.closeNow() == .close)
        #expect(draining.drained(written: false) == .none)

        var closed = TunnelEndClose()
        closed.channelClosed()
        #expect(closed.partnerClosed() == .none)
        #expect(closed.closeNow() == .none)
    }

    @Test("the idle timeout closes an open end at once, but leaves a draining or lingering end to its send timeout and linger")
    func idleTimeout() {
        var open = TunnelEndClose()
        #expect(open.idleTimedOut() == .close)
        #expect(open.partnerClosed() == .none)

        var draining = TunnelEndClose()
        #expect(draining.partnerClosed() == .drain)
        #expect(draining.idleTimedOut() == .none)
        #expect(draining.state == .draining)
        #expect(draining.drainTimedOut() == .cutOff, "the send timeout still bounds it, and counts it")

        var lingering = TunnelEndClose()
        #expect(lingering.partnerClosed() == .drain)
        #expect(lingering.drained(written: true) == .linger)
        #expect(lingering.idleTimedOut() == .none)
        #expect(lingering.lingerEnded() == .close)

        var closed = TunnelEndClose()
        closed.channelClosed()
        #expect(closed.idleTimedOut() == .none)
    }
}
