import NIOCore

/// When a client that takes none of its response is cut off: the policy behind `listener.send_timeout`, as a pure
/// state machine (``ProxyHandler`` owns the timer, samples the channel and does what the returned action says).
///
/// Without it a client that sends a request and never reads holds its connection, the legacy connection (whose
/// reads are paused while the client channel is not writable) and the sampled exchange forever, and a graceful
/// shutdown waits for it. As nginx's `send_timeout`, the limit is on the time between two writes that reach the
/// client's socket, not on the whole response: a slow client that keeps taking bytes is never cut.
///
/// The clock runs only while the response is stalled: the client channel is not writable (its write buffer is past
/// the high watermark; on an HTTP/2 stream also its flow-control window spent), or the last write of a response
/// that ends the connection (on HTTP/2: the stream) has not gone out. Most responses never stall, so a request pays
/// nothing: no task is scheduled until a stall, and then the handler's ``CoalescedTimer`` schedules about one per
/// ``checkInterval`` however often a fast download's channel flips between writable and not.
///
/// While stalled, each check asks whether the client took bytes since the last one. Two signs, either is progress:
/// - its TCP acknowledged new bytes (``TCPAcknowledgedBytes``, Linux's `TCP_INFO`): the client's receive window opens
///   only as it reads, so this moves however slowly it reads. Without it, a client reading slower than about a third
///   of the kernel's send buffer per `timeout` (≈ 23 KiB/s with a 4 MiB buffer at 60 s) was cut off while still
///   reading: the channel sees bytes leave only once the kernel lets it write again, after that third drained
///   (nginx's `send_timeout` has the same flaw). On an HTTP/2 stream the count stops where the stream's own frames
///   end on the socket (``HTTP2OutboundFramePositions``): other streams' bytes being read are not its progress, its
///   own still waiting behind them are. Where the counter cannot be read (not Linux, an error) it is `nil` and only
///   the next sign counts, as before;
/// - bytes left the channel's buffer (`bufferedWritableBytes` went down; an HTTP/2 stream cannot tell, and shows
///   progress only by becoming writable again).
/// Progress restarts the clock, so a client that takes a few bytes now and then is cut at most a ``checkInterval``
/// later than exactly `timeout` after its last progress, and one that takes nothing exactly `timeout` after the
/// stall began (its TCP may still acknowledge what fills its receive buffer at the stall's start: one restart more).
struct SendDeadline {
    enum State: Equatable {
        /// Nothing waits on the client.
        case flowing
        /// The response waits on the client: since `lastProgress` (the stall's start, or the check that saw the
        /// client take bytes), with `buffered` bytes in the channel and `acked` bytes acknowledged by the client's TCP
        /// at the last look (each `nil` where it cannot be told).
        case stalled(lastProgress: NIODeadline, buffered: Int?, acked: UInt64?)
        /// Cut off, or the connection closed: nothing more happens.
        case done
    }

    enum Action: Equatable {
        case none
        /// (Re)arm the timer for this deadline; ``timerFired(now:buffered:acked:)`` when it passes.
        case arm(NIODeadline)
        /// Stop the timer.
        case disarm
        /// The client took nothing for `timeout`: cut it off.
        case expire
    }

    let timeout: TimeAmount
    private(set) var state: State = .flowing

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// How often a stall is checked for progress: a quarter of ``timeout`` (15 s at the default 60 s).
    var checkInterval: TimeAmount { .nanoseconds(max(1, self.timeout.nanoseconds / 4)) }

    /// The response stalled (the channel turned unwritable, or a last write is pending) with `buffered` bytes in the
    /// channel and `acked` bytes acknowledged by the client's TCP so far. Nothing changes when it already was.
    mutating func stalled(now: NIODeadline, buffered: Int?, acked: UInt64?) -> Action {
        guard case .flowing = self.state else { return .none }
        self.state = .stalled(lastProgress: now, buffered: buffered, acked: acked)
        return .arm(now + self.checkInterval)
    }

    /// The client took enough for the channel to be writable again, or nothing waits on it any more.
    mutating func flowing() -> Action {
        guard case .stalled = self.state else { return .none }
        self.state = .flowing
        return .disarm
    }

    /// The timer passed its deadline; `buffered` is what the channel holds now, `acked` what the client's TCP has
    /// acknowledged so far.
    mutating func timerFired(now: NIODeadline, buffered: Int?, acked: UInt64?) -> Action {
        guard case .stalled(var lastProgress, let before, let ackedBefore) = self.state else { return .none }
        if buffered == 0 {
            // Everything went out (a last write completing reports it too, a moment later).
            self.state = .flowing
            return .none
        }
        // More bytes than before are writes queued since (the rest of a read burst from legacy): not progress, and the
        // new count is what the next check compares with.
        if let buffered, let before, buffered < before { lastProgress = now }
        // The client's TCP acknowledged bytes since the last look: the client read some, even if too few for the
        // kernel to let the channel write again. A look that could not read the counter (`nil`) leaves nothing to
        // compare the next one with: only two readings in a row tell.
        if let acked, let ackedBefore, acked > ackedBefore { lastProgress = now }
        if now - lastProgress >= self.timeout {
            self.state = .done
            return .expire
        }
        self.state = .stalled(lastProgress: lastProgress, buffered: buffered ?? before, acked: acked)
        return .arm(min(now + self.checkInterval, lastProgress + self.timeout))
    }

    /// The client connection (or stream) closed.
    mutating func closed() -> Action {
        let wasStalled: Bool
        if case .stalled = self.state { wasStalled = true } else { wasStalled = false }
        self.state = .done
        return wasStalled ? .disarm : .none
    }
}
