import NIOCore
import NIOHTTP2

/// Watches one HTTP/2 client connection behind `NIOHTTP2Handler`: closes it when it has had no stream for
/// `listener.idle_timeout`, answers graceful shutdown with a GOAWAY and closes once its streams are done, and counts
/// the client's protocol errors as refusals (``ClientRefusal/forHTTP2Error(_:)``: `http2_protocol`, or
/// `headers_too_large` for a header block over the decoding ceiling) — NIOHTTP2 has already sent the RST_STREAM or
/// GOAWAY RFC 9113 requires.
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
        case ChannelEvent.inputClosed:
            // The client shut its sending side (a plain listener allows it for HTTP/1.1's sake, see
            // `ProxyServer.allowsRemoteHalfClosure`). HTTP/2 has no such end of requests — a client ends each stream
            // with END_STREAM and the connection with GOAWAY — so the connection closes, as it did before the listener
            // allowed half-closure; its streams are closed with it.
            context.close(promise: nil)
            return
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let refusal = ClientRefusal.forHTTP2Error(error) else {
            // The socket failed (reset by the client): nothing more can be read or sent on it.
            context.close(promise: nil)
            return
        }
        self.metrics.refused(refusal)
        // With no stream in progress there is nothing to finish: a connection error (bad preface, garbage) ends here.
        // A stream error ended only its stream (NIOHTTP2 sent RST_STREAM): the connection goes on.
        if self.openStreams == 0, !Self.isStreamError(error) { context.close(promise: nil) }
    }

    /// Whether NIOHTTP2 reports `error` as a stream error: a request whose header block or `Content-Length` is
    /// malformed (RFC 9113 §8.1.1) is reset alone, with RST_STREAM PROTOCOL_ERROR. NIOHTTP2 reports stream and
    /// connection errors alike, so these are told apart by type; anything else is taken as a connection error.
    static func isStreamError(_ error: any Error) -> Bool {
        switch error {
        case is NIOHTTP2Errors.InvalidHTTP2HeaderFieldName, is NIOHTTP2Errors.InvalidHTTP2HeaderFieldValue,
            is NIOHTTP2Errors.ForbiddenHeaderField, is NIOHTTP2Errors.MissingPseudoHeader,
            is NIOHTTP2Errors.DuplicatePseudoHeader, is NIOHTTP2Errors.PseudoHeaderAfterRegularHeader,
            is NIOHTTP2Errors.UnknownPseudoHeader, is NIOHTTP2Errors.UnsupportedPseudoHeader,
            is NIOHTTP2Errors.InvalidPseudoHeaders, is NIOHTTP2Errors.InvalidPseudoHeaderValue,
            is NIOHTTP2Errors.EmptyPathHeader, is NIOHTTP2Errors.MissingHostHeader, is NIOHTTP2Errors.DuplicateHostHeader,
            is NIOHTTP2Errors.ContentLengthViolated, is NIOHTTP2Errors.ContentLengthHeadersMismatch,
            is NIOHTTP2Errors.ContentLengthHeaderNegative, is NIOHTTP2Errors.ContentLengthHeaderMalformedValue:
            return true
        default:
            return false
        }
    }

    private func armIdleTimer() {
        guard let context, self.idleTimer == nil else { return }
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.idleTimeout) { [self] in
            self.idleTimer = nil
            if self.openStreams == 0 { self.context?.close(promise: nil) }
        }
    }
}
