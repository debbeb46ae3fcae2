import NIOCore
import NIOHTTP2

/// Watches one HTTP/2 client connection behind `NIOHTTP2Handler`: closes it when it has had no stream for
/// `listener.idle_timeout`, answers graceful shutdown with a GOAWAY and closes once its streams are done, and counts
/// the client's protocol errors as refusals (`http2_protocol`) — NIOHTTP2 has already sent the RST_STREAM or GOAWAY
/// RFC 9113 requires.
///
/// The HTTP/1.1 defences (``HeaderTimeoutHandler``, the idle read timeout) are not in an HTTP/2 connection's
/// pipeline: a connection with a long response in progress reads nothing for a long time and is not idle.
final class HTTP2ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let idleTimeout: TimeAmount
    private let metrics: ProxyMetrics
    private var openStreams = 0
    private var highestStreamID = HTTP2StreamID(0)
    private var quiescing = false
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(idleTimeout: TimeAmount, metrics: ProxyMetrics) {
        self.idleTimeout = idleTimeout
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.armIdleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.idleTimer?.cancel()
        self.idleTimer = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let created as NIOHTTP2StreamCreatedEvent:
            self.openStreams += 1
            if created.streamID > self.highestStreamID { self.highestStreamID = created.streamID }
            self.idleTimer?.cancel()
            self.idleTimer = nil
        case is StreamClosedEvent:
            // Clamped: a stream reset before it was ever opened is closed without having been created.
            self.openStreams = max(0, self.openStreams - 1)
            if self.openStreams == 0 {
                if self.quiescing {
                    context.close(promise: nil)
                } else {
                    self.armIdleTimer()
                }
            }
        case is ChannelShouldQuiesceEvent:
            // The streams were told too (NIOHTTP2 passes the event on): each ends after its response.
            self.quiescing = true
            let goAway = HTTP2Frame(
                streamID: .rootStream, payload: .goAway(lastStreamID: self.highestStreamID, errorCode: .noError, opaqueData: nil)
            )
            context.writeAndFlush(self.wrapOutboundOut(goAway), promise: nil)
            if self.openStreams == 0 { context.close(promise: nil) }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is any NIOHTTP2Error else {
            // The socket failed (reset by the client): nothing more can be read or sent on it.
            context.close(promise: nil)
            return
        }
        self.metrics.refused(.http2Protocol)
        // With no stream in progress there is nothing to finish: a connection error (bad preface, garbage) ends here.
        if self.openStreams == 0 { context.close(promise: nil) }
    }

    private func armIdleTimer() {
        guard let context, self.idleTimer == nil else { return }
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.idleTimeout) { [self] in
            self.idleTimer = nil
            if self.openStreams == 0 { self.context?.close(promise: nil) }
        }
    }
}
