import NIOCore
import NIOHTTP1
import NIOPosix

/// One end of a tunnel between a client and legacy after legacy accepted a protocol upgrade (`101 Switching
/// Protocols`, e.g. WebSocket): bytes read on one channel are written to the other, untouched and never mirrored.
///
/// Both channels run on the same event loop (the legacy connection was leased from the client's loop), so the
/// two ends call each other directly. Backpressure as in NIO's proxy example: an end reads only while its
/// partner's channel is writable. The client side closes both ends at once when the server quiesces, so a tunnel never
/// outlives the proxy's shutdown, and on an `IdleStateHandler` event (installed in front of it with
/// `listener.idle_timeout` as an all-directions timeout) while they are open; an end already draining or lingering
/// keeps its own bound (``TunnelEndClose/idleTimedOut()``).
///
/// A half-close is passed on, both ways: when a side shuts its sending side (`ChannelEvent.inputClosed`, which a plain
/// HTTP/1.1 client connection reports, see `ProxyServer.allowsRemoteHalfClosure`, and legacy's connection once it is a
/// tunnel, see ``Tunnel/splice(client:upstream:idleTimeout:drain:metrics:clientInputClosed:)``), the other connection's
/// sending side is shut (`close(mode: .output)`) once everything that side sent before is written, and the other
/// direction goes on until its side closes or half-closes too. The all-directions idle timeout still bounds a
/// half-closed tunnel.
///
/// When a side's channel closes (a close, a reset, or its FIN once the other direction was shut), the other end first
/// writes out what it already read from that side and then closes, bounded by its send timeout (``TunnelEndClose``).
final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var machine: TunnelEndClose
    /// How long this end's peer may take none of the bytes still queued for it once the other side closed.
    private let drainTimeout: TimeAmount
    /// Counts a peer cut off for taking none of them (the metric of the side's own send timeout), and bytes dropped.
    private let counts: TunnelEndCounts
    /// Runs while a drain waits on the peer (``SendDeadline``, as for an HTTP/1.1 client's last write).
    private var drainTimer: SendTimeoutTimer?
    private var lingerTask: Scheduled<Void>?
    /// Bytes read from this end's peer after the other side was gone (nowhere to go): read only up to
    /// ``LingeringClose/maxBytes``, so a peer that keeps sending costs a bounded amount of reading.
    private var dropped = 0
    /// Runs once when this end's channel closes (the legacy end tells its pool the connection is gone).
    private var onClose: (() -> Void)?

    /// - Parameters:
    ///   - drainTimeout: how long the peer may take none of the bytes queued for it once the other side closed, before
    ///     it is cut off (a reset): `listener.send_timeout` toward the client, `upstream.write_timeout` toward legacy.
    ///   - counts: counts such a cut-off, and the bytes this end drops (queued for its peer at a close, or sent by its
    ///     peer after the other side was gone).
    ///   - inputClosed: the peer already shut its sending side.
    ///   - onClose: runs once when this end's channel closes.
    init(
        drainTimeout: TimeAmount, counts: TunnelEndCounts, inputClosed: Bool = false,
        onClose: (() -> Void)? = nil
    ) {
        self.drainTimeout = drainTimeout
        self.counts = counts
        self.machine = TunnelEndClose(inputClosed: inputClosed)
        self.onClose = onClose
    }

    /// Joins two ends.
    static func pair(_ a: TunnelHandler, _ b: TunnelHandler) {
        a.partner = b
        b.partner = a
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopTimers()
        self.context = nil
        self.partner = nil
    }

    /// The other side's channel closed (its `closeFuture`; ``Tunnel`` ties the two channels this way besides the
    /// handlers' own `channelInactive`): drain, or close `channel` (this end's) at once when this end already left it.
    func partnerChannelClosed(_ channel: any Channel) {
        guard self.context != nil else {
            channel.close(promise: nil)
            return
        }
        self.partnerClosed()
    }

    // MARK: Called by the partner

    private func partnerWrite(_ buffer: ByteBuffer) {
        self.context?.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    private func partnerFlush() {
        self.context?.flush()
    }

    private func partnerClosed() {
        self.perform(self.machine.partnerClosed())
    }

    /// The partner's peer shut its sending side: so does this end, once what it already wrote has gone out (NIO
    /// shuts the socket's output after the pending writes; the flush makes sure none is left waiting for one).
    private func partnerInputClosed() {
        self.perform(self.machine.partnerInputClosed())
    }

    private func partnerBecameWritable() {
        if self.pendingRead {
            self.pendingRead = false
            self.context?.read()
        }
    }

    private var isWritable: Bool { self.context?.channel.isWritable ?? false }

    /// The idle timeout or a quiesce, for both ends: each decides with `decide` before either closes, since a partner
    /// closing first would turn this end into a drain (its other side gone), bounded only by the send timeout, when the
    /// tunnel was open as a whole. Bytes a close leaves queued are counted with `reason`.
    private func closeBothEnds(
        dropping reason: TunnelEndCounts.DropReason, _ decide: (inout TunnelEndClose) -> TunnelEndClose.Action
    ) {
        let partner = self.partner
        let partnerAction = partner.map { decide(&$0.machine) }
        let action = decide(&self.machine)
        if let partner, let partnerAction { partner.perform(partnerAction, dropping: reason) }
        self.perform(action, dropping: reason)
    }

    // MARK: Actions

    /// Performs `action`; when it closes this end without writing out what is queued for the peer, those bytes are
    /// lost and counted with `reason`.
    private func perform(_ action: TunnelEndClose.Action, dropping reason: TunnelEndCounts.DropReason) {
        if action == .close || action == .cutOff, let queued = self.queuedBytes, queued > 0 {
            self.counts.droppedQueued(queued, reason)
        }
        self.perform(action)
    }

    /// The bytes written to this end's channel and not yet taken by its socket: what a close drops. (Over TLS, the
    /// encrypted bytes NIOSSL passed down; what it still holds itself is not in this figure.)
    private var queuedBytes: Int? {
        try? self.context?.channel.syncOptions?.getOption(.bufferedWritableBytes)
    }

    private func perform(_ action: TunnelEndClose.Action) {
        guard let context = self.context else { return }
        switch action {
        case .none:
            break
        case .shutOutput:
            context.flush()
            context.close(mode: .output, promise: nil)
        case .drain:
            self.drain(context)
        case .linger:
            // Everything queued went out: the peer reads it, then the end of its input (with its own input already
            // shut, NIO closes the channel here, nothing being left to write or read).
            context.close(mode: .output, promise: nil)
            guard context.channel.isActive else { return }
            self.lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: LingeringClose.time) { [self] in
                self.lingerTask = nil
                self.perform(self.machine.lingerEnded())
            }
            self.readWhileClosing(context)
        case .close:
            context.close(promise: nil)
        case .cutOff:
            self.counts.cutOff()
            // As an HTTP/1.1 client cut off by `listener.send_timeout`: a reset (SO_LINGER 0), so the kernel drops the
            // bytes the peer never read at once instead of keeping them for it.
            guard let socket = context.channel as? any SocketOptionProvider else {
                context.close(promise: nil)
                return
            }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Writes out what is queued for the peer and reports when it went out.
    ///
    /// `close(mode: .all)` would fail those writes, and `close(mode: .output)` does too on a channel whose input is
    /// already shut (NIO then closes it fully at once), so the drain follows them with an empty write of its own: NIO
    /// (and NIOSSL, which orders a promise of an empty write behind the bytes before it) completes its promise only once
    /// every write before it reached the socket, or fails it when the channel cannot write them. The peer gets the
    /// drain timeout without taking a byte (``SendDeadline``: its TCP acknowledging bytes, or the channel's buffer
    /// going down, is progress): that bounds a drain, and the tunnel's life, however the peer behaves.
    private func drain(_ context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            self.drainTimer?.stop()
            self.drainTimer = nil
            switch result {
            case .success:
                self.perform(self.machine.drained(written: true))
            case .failure(let error):
                // A sending side already shut (legacy's half-close was passed on earlier) had everything written.
                self.perform(self.machine.drained(written: (error as? ChannelError) == .outputClosed))
            }
        }
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
        if self.machine.state == .draining, context.channel.isActive {
            let timer = SendTimeoutTimer(timeout: self.drainTimeout, channel: context.channel) { [self] in
                self.drainTimer = nil
                self.perform(self.machine.drainTimedOut(), dropping: .cutOff)
            }
            self.drainTimer = timer
            timer.update(stalled: true, progressed: false)
        }
        self.readWhileClosing(context)
    }

    /// Reads (and drops) what the peer still sends while this end closes, so its end of input is seen and closing
    /// leaves no unread bytes behind (which would make the kernel reset the connection).
    private func readWhileClosing(_ context: ChannelHandlerContext) {
        if self.pendingRead {
            self.pendingRead = false
            self.read(context: context)
        }
    }

    private func stopTimers() {
        self.drainTimer?.stop()
        self.drainTimer = nil
        self.lingerTask?.cancel()
        self.lingerTask = nil
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        if self.machine.forwards, let partner = self.partner {
            partner.partnerWrite(buffer)
        } else {
            self.dropped += buffer.readableBytes
            self.counts.droppedAfterOtherSideClosed(buffer.readableBytes)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.machine.channelClosed()
        self.stopTimers()
        let partner = self.partner
        self.partner = nil
        partner?.partnerClosed()
        self.onClose?()
        self.onClose = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.partner?.partnerBecameWritable() }
        // A drain waits on its last write whatever the writability; the channel turning writable is bytes leaving.
        self.drainTimer?.update(stalled: true, progressed: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            self.closeBothEnds(dropping: .idleTimeout) { $0.idleTimedOut() }
            return
        }
        if event is ChannelShouldQuiesceEvent {
            self.closeBothEnds(dropping: .shutdown) { $0.closeNow() }
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.machine.inputEnded()
            self.partner?.partnerInputClosed()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // This side failed (a reset, an I/O error): it closes, and the other end drains toward its own peer what it
        // read from this side before.
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        switch self.machine.state {
        case .open:
            if self.partner?.isWritable ?? false {
                context.read()
            } else {
                self.pendingRead = true
            }
        case .draining, .lingering:
            if self.dropped <= LingeringClose.maxBytes {
                context.read()
            } else {
                self.pendingRead = true
            }
        case .closed:
            context.read()
        }
    }
}
