import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// The last handler of an upstream connection's pipeline: hands response parts to the current receiver,
/// holds reads while the receiver's client cannot take more (response backpressure), and enforces the read
/// and write timeouts of the call in progress.
///
/// One request at a time (no pipelining to upstreams: a request waiting behind a slow one would inherit its
/// latency, and a failure would be ambiguous for both).
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// Set once the connection object exists. The two reference each other until the channel closes, which
    /// breaks the cycle (`channelInactive`), so a connection lives exactly as long as its socket.
    var connection: UpstreamConnection?
    private(set) var context: ChannelHandlerContext?

    private var receiver: (any UpstreamResponseReceiver)?
    private var responseStarted = false
    private var responseKeepAlive = true
    private var requestComplete = false
    private var responseComplete = false
    /// The response is `101 Switching Protocols`: after its end the connection is handed over, not reused.
    private var switchedProtocols = false

    private var readPaused = false
    private var pendingRead = false

    private let readTimeout: TimeAmount
    private let writeTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var lastProgress: NIODeadline = .uptimeNanoseconds(0)
    private var unwritableSince: NIODeadline?
    /// `true` on a TLS connection until its handshake completes: a failure before then is the handshake's
    /// (bad certificate, untrusted CA, wrong host name, plain HTTP on the port), reported as
    /// ``UpstreamError/tlsHandshake`` rather than as a closed connection.
    private var awaitingTLSHandshake: Bool

    init(readTimeout: TimeAmount, writeTimeout: TimeAmount, awaitsTLSHandshake: Bool = false) {
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.awaitingTLSHandshake = awaitsTLSHandshake
    }

    var isActive: Bool { self.context?.channel.isActive ?? false }
    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Calls

    /// Starts a call: the receiver gets the response; the caller writes the request with ``write(_:)``.
    func begin(receiver: any UpstreamResponseReceiver) {
        self.receiver = receiver
        self.responseStarted = false
        self.responseKeepAlive = true
        self.requestComplete = false
        self.responseComplete = false
        self.switchedProtocols = false
        self.readPaused = false
        self.lastProgress = .now()
        self.unwritableSince = nil
        // One timer per connection, not per request: a timer still pending from an earlier call fires no
        // later than this call's deadline and re-arms itself from `lastProgress`, so a busy connection
        // schedules at most one task per `readTimeout` instead of one per request.
        if self.timer == nil {
            self.armTimer(at: self.lastProgress + self.readTimeout)
        }
    }

    /// Writes one request part (not flushed). The end of the request starts the read timeout.
    func write(_ part: HTTPClientRequestPart) {
        guard let context else { return }
        if case .end = part {
            self.requestComplete = true
            self.lastProgress = .now()
        }
        context.write(self.wrapOutboundOut(part), promise: nil)
        if !context.channel.isWritable, self.unwritableSince == nil {
            self.unwritableSince = .now()
        }
    }

    func flush() {
        self.context?.flush()
    }

    /// Holds or resumes reading the response (the receiver's client is not writable / writable again).
    func setReadPaused(_ paused: Bool) {
        guard paused != self.readPaused else { return }
        self.readPaused = paused
        if !paused {
            // The stall was the client's, not upstream's: restart the silence clock.
            self.lastProgress = .now()
            if self.pendingRead, let context {
                self.pendingRead = false
                context.read()
            }
        }
    }

    /// Abandons the call in progress (the client went away, or the call timed out): the connection is closed
    /// because the rest of its response can no longer be delimited cheaply. The receiver is not called back.
    func abandon() {
        self.receiver = nil
        self.cancelTimer()
        self.context?.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastProgress = .now()
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code >= 100 && head.status.code < 200 && head.status.code != 101 {
                self.receiver?.upstreamResponseHead(head)
                return
            }
            self.responseStarted = true
            self.responseKeepAlive = ConnectionKeepAlive.isKeepAlive(head.headers, version: head.version)
            self.switchedProtocols = head.status == .switchingProtocols
            self.receiver?.upstreamResponseHead(head)
        case .body(let buffer):
            self.receiver?.upstreamResponseBodyPart(buffer)
        case .end(let trailers):
            self.responseComplete = true
            let receiver = self.receiver
            self.receiver = nil
            if self.switchedProtocols, let connection = self.connection {
                // The connection speaks another protocol now: it is never reused; the receiver owns it.
                self.cancelTimer()
                if let receiver {
                    receiver.upstreamSwitchedProtocols(connection)
                } else {
                    connection.close()
                }
                return
            }
            // An idle connection must keep reading, or it would never notice legacy closing it.
            self.setReadPaused(false)
            // A connection whose request was not fully sent (legacy answered early) cannot carry another, nor one
            // whose response ended with its input (a body delimited by the close, whatever its head said).
            if self.responseKeepAlive && self.requestComplete && context.channel.isActive {
                self.connection?.release()
            } else {
                self.connection?.close()
            }
            receiver?.upstreamResponseEnd(trailers: trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.receiver?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if writable {
            self.unwritableSince = nil
        } else if self.unwritableSince == nil {
            self.unwritableSince = .now()
        }
        self.receiver?.upstreamWritabilityChanged(isWritable: writable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            // TLS closed without close_notify: `channelInactive` follows, and a response delimited by the
            // close has been ended by the decoder by then — exactly as on a plain connection.
            return
        }
        let code: UpstreamError.Code =
            if self.awaitingTLSHandshake {
                .tlsHandshake
            } else if error is HTTPParserError {
                .invalidResponse
            } else if let closed = error as? NIOHTTP2Errors.StreamClosed {
                // REFUSED_STREAM (RST_STREAM, or a stream past a GOAWAY's last stream) means the upstream did not
                // process it (RFC 9113 §8.7): like a pooled connection closed while idle, a bodiless safe request
                // is retried once on a fresh connection. Any other reset is the upstream's answer to the call.
                closed.errorCode == .refusedStream ? .closedEarly : .streamReset
            } else if error is any NIOHTTP2Error {
                .http2Protocol
            } else {
                .closedEarly
            }
        self.fail(UpstreamError(code, underlying: error))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            self.awaitingTLSHandshake = false
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(self.awaitingTLSHandshake ? .tlsHandshake : .closedEarly)
        self.connection?.channelClosed()
        self.connection = nil
        context.fireChannelInactive()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if self.readPaused {
            self.pendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: Failure and timeouts

    private func fail(_ error: UpstreamError) {
        self.cancelTimer()
        guard let receiver = self.receiver else {
            self.context?.close(promise: nil)
            return
        }
        self.receiver = nil
        self.context?.close(promise: nil)
        receiver.upstreamFailed(error, responseStarted: self.responseStarted)
    }

    private func armTimer(at deadline: NIODeadline) {
        guard let context else { return }
        self.timer?.cancel()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timer = nil
            self.checkTimeouts()
        }
    }

    private func cancelTimer() {
        self.timer?.cancel()
        self.timer = nil
    }

    private func checkTimeouts() {
        // Idle between calls: stop; the next call arms the timer again.
        guard self.receiver != nil, !self.responseComplete else { return }
        let now = NIODeadline.now()
        if let since = self.unwritableSince, !self.requestComplete {
            if now - since >= self.writeTimeout {
                self.fail(.writeTimeout)
                return
            }
            self.armTimer(at: since + self.writeTimeout)
            return
        }
        if self.readPaused || !self.requestComplete {
            // Waiting on our own client (paused downstream, or still uploading): not upstream's silence.
            self.armTimer(at: now + self.readTimeout)
            return
        }
        if now - self.lastProgress >= self.readTimeout {
            self.fail(.readTimeout)
            return
        }
        self.armTimer(at: self.lastProgress + self.readTimeout)
    }
}
