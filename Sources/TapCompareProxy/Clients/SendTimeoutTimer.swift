import NIOCore
import NIOHTTP2

/// Runs `listener.send_timeout` for one client channel (an HTTP/1.1 connection or an HTTP/2 stream): the
/// ``SendDeadline`` policy, a ``CoalescedTimer``, the channel's count of bytes waiting to be written and the client
/// TCP's count of bytes it acknowledged (``TCPAcknowledgedBytes``, on Linux; for an HTTP/2 stream, up to where the
/// stream's own frames end on the socket, ``HTTP2OutboundFramePositions``, which watches the stream while this lives).
///
/// Made at the channel's first stall, so a response that never waits on its client costs nothing: no object, no
/// task. Loop-confined. It keeps `onExpiry` (which captures its owner) until ``stop()``, which the owner calls when
/// the channel closes or the owner leaves the pipeline: that breaks the cycle.
final class SendTimeoutTimer {
    private let channel: any Channel
    /// A socket channel (TLS or not) reports the bytes waiting in it (`bufferedWritableBytes`) and its socket's
    /// options; an HTTP/2 stream channel has neither (it traps when asked the first): its parent holds the socket.
    private let isSocket: Bool
    /// For an HTTP/2 stream: its connection's ``HTTP2OutboundFramePositions``, which keeps where the stream's frames
    /// end on the socket while this timer lives, and the stream's id.
    private let streamPosition: (positions: HTTP2OutboundFramePositions, streamID: UInt32)?
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
        if !self.isSocket, let connection = channel.parent,
            let positions = try? connection.pipeline.syncOperations.handler(type: HTTP2OutboundFramePositions.self),
            let streamID = try? channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID)
        {
            let id = UInt32(Int32(streamID))
            positions.watch(id)
            self.streamPosition = (positions, id)
        } else {
            self.streamPosition = nil
        }
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
        if let position = self.streamPosition { position.positions.unwatch(position.streamID) }
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
    /// An HTTP/2 stream shares its connection's socket with the other streams, and the client reads the socket in
    /// order: the acknowledged bytes are this stream's progress only up to where its own frames end
    /// (``HTTP2OutboundFramePositions``), so the value is `min(acknowledged, lastEnd)`, whether the connection's
    /// socket is full or the stream waits on its own flow-control window. While the stream's bytes wait behind other
    /// streams' the value moves as the client reads (it cannot give the stream window before it read them); once the
    /// client's TCP has acknowledged all of them the value stands still however much of the other streams it reads,
    /// and only the stream's next frames (a `WINDOW_UPDATE` let it write) move it, or its becoming writable again.
    private var acked: UInt64? {
        if self.isSocket { return TCPAcknowledgedBytes.read(self.channel) }
        guard let connection = self.channel.parent, let position = self.streamPosition,
            let lastEnd = position.positions.lastEnd(of: position.streamID), let acknowledged = TCPAcknowledgedBytes.read(connection)
        else { return nil }
        return min(acknowledged, lastEnd)
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
