import NIOCore

/// Holds legacy's end of input (`ChannelEvent.inputClosed`) on a new tunnel until the HTTP response decoder has left
/// legacy's pipeline, then passes it on to the tunnel and leaves too.
///
/// The decoder leaves one event-loop tick after the 101 (`ByteToMessageHandler` defers its removal), and only then
/// forwards legacy's bytes that followed the 101 in the same read. An end of input read in the same pass (legacy
/// sent its 101, its first bytes and its FIN together) would otherwise reach the decoder first, which then drops
/// those bytes (`HTTPDecoder` forwards left-over bytes only when it has not seen EOF), and then the tunnel, which
/// would shut the client's side before they were written. Placed right in front of the decoder (after TLS, if any).
final class InputClosedHold: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var context: ChannelHandlerContext?
    private var held = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.held = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The decoder has left and its left-over bytes went to the tunnel: a held end of input follows them.
    func release() {
        guard let context = self.context else { return }
        if self.held {
            self.held = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        // The event above may have closed the channel, which removes every handler.
        if let context = self.context {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
