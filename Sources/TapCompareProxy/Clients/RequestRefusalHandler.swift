import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser rejected with 400 (or 431 for an oversized head), counts it by reason and
/// lets the connection close. Replaces NIO's `HTTPServerProtocolErrorHandler`, which answers 400 to everything
/// and counts nothing.
///
/// Sits right after the decoder, in front of ``ProxyHandler`` (which abandons any legacy call and closes the
/// connection). An error in a request pipelined behind requests still being answered waits until their responses
/// are written, as `HTTPServerPipelineHandler` (no longer in the pipeline) did: the client gets its answers, then
/// the refusal.
final class RequestRefusalHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ProxyMetrics
    /// A response has started and not ended: a refusal can then only cut the connection.
    private var responseInProgress = false
    /// The request was refused; whatever the broken stream produces next is ignored until the connection closes.
    private var refused = false
    /// Requests received whole whose response has not ended yet.
    private var unansweredRequests = 0
    /// A parser error behind unanswered requests, with whether its head had conflicting framing (scanned then).
    private var deferredError: (error: HTTPParserError, conflictingFraming: Bool)?

    init(metrics: ProxyMetrics) {
        self.metrics = metrics
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.refused { return }
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let conflictingFraming = (try? context.pipeline.syncOperations.handler(type: HeaderTimeoutHandler.self))?.framing.hasConflictingFraming ?? false
        if self.unansweredRequests > 0 {
            // The end of a half-closed client's input cut a request pipelined behind whole ones short: it never
            // reached legacy, and ``ProxyHandler`` answers the whole ones and then closes
            // (``ProxyRequestStateMachine/inputClosed()``). Refusing it after them would close at once, over the last
            // response's bytes not yet flushed.
            if parserError == .invalidEOFState { return }
            if self.deferredError == nil { self.deferredError = (parserError, conflictingFraming) }
            return
        }
        self.refuse(parserError, conflictingFraming: conflictingFraming, context: context)
    }

    private func refuse(_ parserError: HTTPParserError, conflictingFraming: Bool, context: ChannelHandlerContext) {
        self.refused = true
        // Passed on first: the proxy handler abandons any request in progress (its legacy connection is closed,
        // never reused). Closing the client connection is left to this handler.
        context.fireErrorCaught(parserError)
        guard let refusal = ClientRefusal.forParserError(parserError, headHasConflictingFraming: conflictingFraming) else {
            context.close(promise: nil)
            return
        }
        self.metrics.refused(refusal)
        guard !self.responseInProgress, let status = refusal.status, context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        let response = LocalResponse.refusal(status: status, explanation: refusal.explanation, allocator: context.channel.allocator)
        context.write(self.wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in LingeringClose.start(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = self.unwrapInboundIn(data) { self.unansweredRequests += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            self.responseInProgress = true
        case .end:
            self.responseInProgress = false
            context.write(data, promise: promise)
            // A response may end before its request did (legacy answered early): never below zero.
            self.unansweredRequests = max(0, self.unansweredRequests - 1)
            if self.unansweredRequests == 0, let deferred = self.deferredError {
                self.deferredError = nil
                self.refuse(deferred.error, conflictingFraming: deferred.conflictingFraming, context: context)
            }
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
