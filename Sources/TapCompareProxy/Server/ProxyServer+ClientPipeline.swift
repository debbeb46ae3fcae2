import NIOCore
import NIOHTTP1

extension ProxyServer {
    /// Adds the handlers of an accepted client connection after its TLS (if any), in order: the hostile-client
    /// defences — a deadline for each request head (first, in front of the decoder, so it sees raw bytes), an
    /// idle limit between requests, counted 400/431 refusals — the HTTP codec and ``ProxyHandler``.
    ///
    /// The HTTP server pipeline has no pipelining assistance: `HTTPServerPipelineHandler` stops passing `read()`
    /// on while any response is pending, which re-registers the socket's read interest on every request (two
    /// `epoll_ctl` calls each). ``ProxyRequestStateMachine`` buffers pipelined requests itself and keeps reading.
    static func addClientHTTPHandlers(to sync: ChannelPipeline.SynchronousOperations, loop: LoopContext) throws {
        let configuration = loop.shared.configuration
        let metrics = loop.shared.metrics
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxRequestHeadBytes
        limits.maxHeaderFieldSize = configuration.maxRequestHeadBytes
        limits.maxHeaderFieldCount = configuration.maxRequestHeaders
        try sync.addHandler(HeaderTimeoutHandler(timeout: configuration.headerTimeout, metrics: metrics))
        try sync.addHandler(IdleStateHandler(readTimeout: configuration.clientIdleTimeout))
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: limits
        )
        try sync.addHandler(RequestRefusalHandler(metrics: metrics))
        try sync.addHandler(ProxyHandler(loop: loop))
    }
}
