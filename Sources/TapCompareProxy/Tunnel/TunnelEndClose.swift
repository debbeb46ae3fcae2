/// How one end of a tunnel closes, as a pure state machine (``TunnelHandler`` performs the actions): above all, that
/// bytes already read from the other side are written out before this end closes.
///
/// When the other side's channel closes (its peer closed or reset the connection, or sent its FIN after the other
/// direction was already shut, on which NIO closes the channel at once), bytes read from it before may still wait in
/// this end's channel for a peer that reads slowly: up to the write buffer's high-water mark and one read burst, or
/// far more, since NIO reads all of a socket's buffered input at once, past any backpressure, when its end arrives
/// (`readEOF`: a megabyte and more once the kernel grew the receive buffer). A plain close would drop them (`close(mode: .all)` fails pending writes), so the peer would miss the tail of what the
/// other side sent: a client the last messages legacy sent before it closed. So this end *drains*: it writes them
/// out, then shuts its sending side (the peer reads them, then the end of its input) and lingers a moment, reading and
/// dropping what its peer still sends (nowhere to go now) until the peer closes too; closing with unread bytes would
/// make the kernel send a reset, which can destroy bytes the peer has not read yet (see ``LingeringClose``).
///
/// A drain is bounded: a peer that takes none of the bytes for the end's send timeout is cut off (``TunnelHandler``
/// runs a ``SendDeadline``), and the linger is bounded by ``LingeringClose/time``, so a tunnel never outlives its
/// sockets by more than that. An error on the other side drains this end too: the bytes it read before the reset are
/// still this side's to get. A server's quiesce closes both ends at once, as before; the idle timeout closes an open
/// tunnel at once and leaves a closing end to its own bound (``idleTimedOut()``).
struct TunnelEndClose: Equatable {
    enum State: Equatable {
        /// Bytes cross the tunnel both ways.
        case open
        /// The other side is gone: the bytes queued for this end's peer are being written out.
        case draining
        /// Written out; the sending side is shut, and the connection closes when the peer closes or after a moment.
        case lingering
        /// Closed, or closing.
        case closed
    }

    enum Action: Equatable {
        case none
        /// Shut this end's sending side once the bytes queued for it are written (NIO waits for them).
        case shutOutput
        /// Write out what is queued for the peer, bounded by the send timeout; then ``drained(written:)``.
        case drain
        /// Shut the sending side, read and drop the peer's bytes, close when it closes or after ``LingeringClose/time``.
        case linger
        /// Close the connection now.
        case close
        /// The peer took none of its bytes for the send timeout: count it and reset the connection.
        case cutOff
    }

    private(set) var state: State = .open
    /// This end's peer shut its sending side (`ChannelEvent.inputClosed`).
    private(set) var inputClosed: Bool

    /// - Parameter inputClosed: the peer already shut its sending side when the tunnel began (a client that
    ///   half-closed while legacy's 101 was on its way).
    init(inputClosed: Bool = false) {
        self.inputClosed = inputClosed
    }

    /// Bytes read on this end go to the other side (else they are dropped: the other side is gone).
    var forwards: Bool { self.state == .open }

    /// This end's peer shut its sending side.
    mutating func inputEnded() {
        self.inputClosed = true
    }

    /// The other side's peer shut its sending side: so does this end once its queued bytes are out. If this end's own
    /// input already ended, both directions are done: NIO would take a shut of the output for a full close and drop
    /// the queued bytes, so this end drains instead.
    mutating func partnerInputClosed() -> Action {
        guard self.state == .open else { return .none }
        if self.inputClosed {
            self.state = .draining
            return .drain
        }
        return .shutOutput
    }

    /// The other side's channel closed, however: this end writes out what is queued for its peer, then closes.
    mutating func partnerClosed() -> Action {
        guard self.state == .open else { return .none }
        self.state = .draining
        return .drain
    }

    /// The drain's last write completed: everything queued went out (`written`), or the channel could not write it
    /// (it failed or is closing).
    mutating func drained(written: Bool) -> Action {
        guard self.state == .draining else { return .none }
        if written {
            self.state = .lingering
            return .linger
        }
        self.state = .closed
        return .close
    }

    /// The peer took none of the queued bytes for the send timeout.
    mutating func drainTimedOut() -> Action {
        guard self.state == .draining else { return .none }
        self.state = .closed
        return .cutOff
    }

    /// The linger's time is over and the peer has not closed.
    mutating func lingerEnded() -> Action {
        guard self.state == .lingering else { return .none }
        self.state = .closed
        return .close
    }

    /// The tunnel's idle timeout (`listener.idle_timeout`, no bytes either way for that long): an open end closes at
    /// once, an end already closing is left to its own bound.
    ///
    /// A draining end is waiting on a peer that took none of its bytes for a while, which is exactly what the drain's
    /// send timeout judges, counted (``cutOff``), and judges better: a peer whose TCP still acknowledges bytes is reading
    /// (``SendDeadline``), where the idle timer sees nothing until the kernel lets the channel write again. Closing it
    /// here dropped the queued bytes uncounted, and with the defaults (both 60 s, the idle clock started at the last
    /// write, before the drain) the idle timeout always came first, so the send timeout never bounded a drain. A
    /// lingering end closes after ``LingeringClose/time`` anyway.
    mutating func idleTimedOut() -> Action {
        guard self.state == .open else { return .none }
        self.state = .closed
        return .close
    }

    /// A quiescing server (both ends decide before either closes, see `TunnelHandler`): close without draining.
    mutating func closeNow() -> Action {
        guard self.state != .closed else { return .none }
        self.state = .closed
        return .close
    }

    /// This end's channel closed.
    mutating func channelClosed() {
        self.state = .closed
    }
}
