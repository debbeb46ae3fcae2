import NIOCore

/// Runs `listener.send_timeout` for one client channel (an HTTP/1.1 connection or an HTTP/2 stream): the
/// ``SendDeadline`` policy, a ``CoalescedTimer``, the channel's count of bytes waiting to be written and the client
/// TCP's count of bytes it acknowledged (``TCPAcknowledgedBytes``, on Linux).
///
/// Made at the channel's first stall, so a response that never waits on its client costs nothing: no object, no
/// task. Loop-confined. It keeps `onExpiry` (which captures its owner) until ``stop()``, which the owner calls when
/// the channel closes or the owner leaves the pipeline: that breaks the cycle.
final class SendTimeoutTimer {
    private let channel: any Channel
    /// A socket channel (TLS or not) reports the bytes waiting in it (`bufferedWritableBytes`) and its socket's
    /// options; an HTTP/2 stream channel has neither (it traps when asked the first): its parent holds the socket.
    private let isSocket: Bool
    private var deadline: SendDeadline
    private let timer: CoalescedTimer
    private var onExpiry: (() -> Void)?
    /// The timer has been given its closure (once; later armings reuse it).
    private var timerStarted = false

    /// - Parameters:
    ///   - timeout: `listener.send_timeout`.
    ///   - onExpiry: the client took nothing for `timeout`: cut it off.
    init(timeout: TimeAmount, channel: any Channel, onExpiry: @escaping () -> Void) {
        self.channel = channel
        self.isSocket = channel is any SocketOptionProvider
        self.deadline = SendDeadline(timeout: timeout)
        self.timer = CoalescedTimer(eventLoop: channel.eventLoop)
        self.onExpiry = onExpiry
    }

    /// The response waits on the client (`stalled`) or not. `progressed`: bytes just left (the channel turned
    /// writable again), which restarts the clock of a stall that goes on (a last write still pending).
    func update(stalled: Bool, progressed: Bool) {
        if progressed || !stalled { self.perform(self.deadline.flowing()) }
        if stalled {
            self.perform(self.deadline.stalled(now: self.channel.eventLoop.now, buffered: self.buffered, acked: self.acked))
        }
    }

    /// The channel closed or its owner left: nothing more happens, and the closures are dropped.
    func stop() {
        _ = self.deadline.closed()
        self.timer.cancel()
        self.onExpiry = nil
    }

    /// The bytes the channel holds for the client (its pending writes), `nil` where it cannot tell (an HTTP/2
    /// stream). Asked only at a stall and at the timer's checks.
    private var buffered: Int? {
        guard self.isSocket, let options = self.channel.syncOptions else { return nil }
        return try? options.getOption(.bufferedWritableBytes)
    }

    /// The bytes the client's TCP acknowledged on the socket under this channel, `nil` where that cannot be read (not
    /// Linux, an error) or says nothing of this channel. Asked only at a stall and at the timer's checks.
    ///
    /// An HTTP/2 stream shares its connection's socket with the other streams: the count is this stream's business
    /// only while the connection itself waits on the client (its socket full, which makes every stream unwritable).
    /// A stream waiting on its own flow-control window while the connection flows would be kept alive by the other
    /// streams' bytes, so there it is `nil`: only a `WINDOW_UPDATE` (the stream writable again) is progress.
    private var acked: UInt64? {
        if self.isSocket { return TCPAcknowledgedBytes.read(self.channel) }
        guard let connection = self.channel.parent, !connection.isWritable else { return nil }
        return TCPAcknowledgedBytes.read(connection)
    }

    private func perform(_ action: SendDeadline.Action) {
        switch action {
        case .none:
            break
        case .arm(let deadline):
            if self.timerStarted {
                self.timer.arm(at: deadline)
            } else {
                self.timerStarted = true
                self.timer.arm(at: deadline) { [self] in
                    self.perform(
                        self.deadline.timerFired(now: self.channel.eventLoop.now, buffered: self.buffered, acked: self.acked)
                    )
                }
            }
        case .disarm:
            self.timer.disarm()
        case .expire:
            let onExpiry = self.onExpiry
            self.stop()
            onExpiry?()
        }
    }
}
