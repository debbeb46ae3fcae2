import NIOCore

/// Enforces `listener.header_timeout` (see ``HeaderDeadline``): a client that has not finished a request head in
/// time gets `408 Request Timeout` and the connection is closed; one that sent nothing is just closed. Either way
/// it is counted as `tapcompare_client_refused_total{reason="header_timeout"}`.
///
/// Installed first in the client pipeline, in front of the HTTP decoder, so it sees raw bytes arrive and can write
/// its 408 straight to the socket. It learns that a head is complete, and that a response ended, from
/// ``ProxyHandler``, which calls ``headReceived()`` and ``responseEnded()`` directly: an inbound handler only, so
/// the responses it never needs to see do not pass through it on their way out.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let response: [UInt8] = {
        let body = "408 Request Timeout: the request head was not sent in time\n"
        let head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        return Array((head + body).utf8)
    }()

    private let timeout: TimeAmount
    private let metrics: ProxyMetrics
    private var deadline = HeaderDeadline()
    /// Armed at every request's first byte and disarmed at its head: coalesced, so a busy keep-alive connection
    /// does not schedule a task per request.
    private var timer: CoalescedTimer?
    /// The framing headers of the head being received (see ``HeadFramingScan``), for ``RequestRefusalHandler``
    /// to tell a smuggling attempt from other malformed requests. Heads that arrive in one read with the previous
    /// request's body (pipelined) are not scanned: their conflicts count under the decoder's own reason.
    private(set) var framing = HeadFramingScan()

    /// Set while the handler is in the pipeline.
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount, metrics: ProxyMetrics) {
        self.timeout = timeout
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.start(context: context) }
    }

    /// A connection that becomes a tunnel removes this handler: its timer must not fire on a context that left.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.timer?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard self.timer?.deadline == nil, case .awaitingHead(bytesSeen: false) = self.deadline.state else { return }
        let (deadline, action) = HeaderDeadline.accepted()
        self.deadline = deadline
        self.perform(action, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Refused: the rest of the late head is read and dropped, never parsed into a request.
        if self.deadline.state == .done { return }
        let wasIdle = self.deadline.state == .idle
        self.perform(self.deadline.bytesReceived(), context: context)
        if case .awaitingHead = self.deadline.state {
            if wasIdle { self.framing.reset() }
            self.framing.consume(self.unwrapInboundIn(data).readableBytesView)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.deadline.closed(), context: context)
        context.fireChannelInactive()
    }

    /// ``ProxyHandler`` received a complete head: its deadline no longer applies.
    func headReceived() {
        guard let context else { return }
        self.perform(self.deadline.headReceived(), context: context)
    }

    /// ``ProxyHandler`` ended a response: the connection is between requests (before the next head is replayed).
    func responseEnded() {
        guard let context else { return }
        self.perform(self.deadline.responseEnded(), context: context)
    }

    private func perform(_ action: HeaderDeadline.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .arm:
            let deadline = context.eventLoop.now + self.timeout
            if let timer = self.timer {
                timer.arm(at: deadline)
            } else {
                // The closure is made once per connection; later armings reuse it. handlerRemoved cancels it.
                let timer = CoalescedTimer(eventLoop: context.eventLoop)
                self.timer = timer
                timer.arm(at: deadline) { [self] in
                    self.perform(self.deadline.timerFired(), context: context)
                }
            }
        case .disarm:
            self.timer?.disarm()
        case .refuse(let bytesSeen):
            self.metrics.refused(.headerTimeout)
            if bytesSeen {
                let buffer = context.channel.allocator.buffer(bytes: Self.response)
                context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in
                    LingeringClose.start(context)
                }
            } else {
                context.close(promise: nil)
            }
        }
    }
}
