import NIOCore
import NIOHTTP1

/// One end of a tunnel between a client and legacy after legacy accepted a protocol upgrade (`101 Switching
/// Protocols`, e.g. WebSocket): bytes read on one channel are written to the other, untouched and never mirrored.
///
/// Both channels run on the same event loop (the legacy connection was leased from the client's loop), so the
/// two ends call each other directly. Backpressure as in NIO's proxy example: an end reads only while its
/// partner's channel is writable. Closing either side closes both. The client side also closes on an
/// `IdleStateHandler` event (installed in front of it with `listener.idle_timeout` as an all-directions timeout)
/// and when the server quiesces, so a tunnel never outlives the proxy's shutdown.
///
/// A half-close is passed on, both ways: when a side shuts its sending side (`ChannelEvent.inputClosed`, which a plain
/// HTTP/1.1 client connection reports, see `ProxyServer.allowsRemoteHalfClosure`, and legacy's connection once it is a
/// tunnel, see ``Tunnel/splice(client:upstream:idleTimeout:clientInputClosed:)``), the other connection's sending side
/// is shut (`close(mode: .output)`) once everything that side sent before is written, and the other direction goes on
/// until its side closes or half-closes too; with both directions shut, NIO closes each socket and the other follows.
/// The all-directions idle timeout still bounds a half-closed tunnel.
final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Runs once when this end's channel closes (the legacy end tells its pool the connection is gone).
    private var onClose: (() -> Void)?

    init(onClose: (() -> Void)? = nil) {
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
        self.context = nil
        self.partner = nil
    }

    // MARK: Called by the partner

    private func partnerWrite(_ buffer: ByteBuffer) {
        self.context?.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    private func partnerFlush() {
        self.context?.flush()
    }

    private func partnerClosed() {
        self.context?.close(promise: nil)
    }

    /// The partner's peer shut its sending side: so does this end, once what it already wrote has gone out (NIO
    /// shuts the socket's output after the pending writes; the flush makes sure none is left waiting for one).
    private func partnerInputClosed() {
        self.context?.flush()
        self.context?.close(mode: .output, promise: nil)
    }

    private func partnerBecameWritable() {
        if self.pendingRead {
            self.pendingRead = false
            self.context?.read()
        }
    }

    private var isWritable: Bool { self.context?.channel.isWritable ?? false }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner?.partnerWrite(self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.partnerClosed()
        self.onClose?()
        self.onClose = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent || event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.partner?.partnerInputClosed()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.partner?.isWritable ?? false {
            context.read()
        } else {
            self.pendingRead = true
        }
    }
}
