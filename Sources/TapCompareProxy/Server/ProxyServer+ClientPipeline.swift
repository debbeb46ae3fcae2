import NIOCore
import NIOHTTP1
import NIOHTTP2

extension ProxyServer {
    /// Adds the handlers of an accepted client connection after its TLS (if any): the header deadline (first, so it
    /// sees raw bytes), the idle limit between requests, and ``HTTPVersionDetector``, which installs the HTTP/1.1
    /// handlers (``addClientHTTP1Handlers(to:loop:)``) or the HTTP/2 ones (``addClientHTTP2Handlers(to:loop:)``) once
    /// the first bytes tell which the client speaks.
    static func addClientHandlers(to sync: ChannelPipeline.SynchronousOperations, loop: LoopContext) throws {
        let configuration = loop.shared.configuration
        let metrics = loop.shared.metrics
        try sync.addHandler(HeaderTimeoutHandler(timeout: configuration.headerTimeout, metrics: metrics))
        try sync.addHandler(IdleStateHandler(readTimeout: configuration.clientIdleTimeout))
        try sync.addHandler(HTTPVersionDetector { version, sync in
            switch version {
            case .http1: try Self.addClientHTTP1Handlers(to: sync, loop: loop)
            case .http2: try Self.addClientHTTP2Handlers(to: sync, loop: loop)
            }
        })
    }

    /// Whether accepted connections allow remote half-closure (`ChannelOptions.allowRemoteHalfClosure`): a client that
    /// shuts its sending side after a request (`nc -N`, HTTP/1.0 clients, scripts) still gets the answer, as HAProxy
    /// gives it by default, instead of having its connection closed at the end of its input.
    ///
    /// Only on a plain listener. Over TLS the end of a client's input is two different things: its `close_notify`
    /// (which NIOSSL would report as `inputClosed`), or a bare FIN, which TLS cannot tell from a truncation attack and
    /// NIOSSL reports as an `uncleanShutdown` error first — an error on which the client pipeline closes the
    /// connection. Rather than half of the TLS clients getting one behaviour and half the other, a TLS listener keeps
    /// the option off: a TLS client that half-closes has its connection closed and a request in flight aborted, as
    /// before. On a plain listener each protocol decides what the end of input means:
    /// HTTP/1.1 answers what was sent whole (``ProxyRequestStateMachine/inputClosed()``), an upgraded connection passes
    /// the half-close on to legacy (``TunnelHandler``), and HTTP/2 (``HTTP2ClientConnectionHandler``) and a client that
    /// sent too little to tell its version (``HTTPVersionDetector``) close as before.
    var allowsRemoteHalfClosure: Bool { self.shared.configuration.tls == nil }

    /// The HTTP/1.1 handlers, in order: counted 400/431 refusals around the HTTP codec, then ``ProxyHandler``.
    ///
    /// The HTTP server pipeline has no pipelining assistance: `HTTPServerPipelineHandler` stops passing `read()`
    /// on while any response is pending, which re-registers the socket's read interest on every request (two
    /// `epoll_ctl` calls each). ``ProxyRequestStateMachine`` buffers pipelined requests itself and keeps reading.
    ///
    /// Nor has it NIO's outbound header validator, which scans every name and value of every response again (3% of
    /// the loop's time at sample rate 1.0). What the proxy writes needs no second check: a response's fields are
    /// legacy's, already checked when they were parsed (llhttp, strict; NIOHTTP2's header block validation), and the
    /// fields the proxy adds are its own values under header names validated when the configuration was loaded.
    static func addClientHTTP1Handlers(to sync: ChannelPipeline.SynchronousOperations, loop: LoopContext) throws {
        let configuration = loop.shared.configuration
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxRequestHeadBytes
        limits.maxHeaderFieldSize = configuration.maxRequestHeadBytes
        limits.maxHeaderFieldCount = configuration.maxRequestHeaders
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: limits
        )
        try sync.addHandler(RequestRefusalHandler(metrics: loop.shared.metrics))
        try sync.addHandler(ProxyHandler(loop: loop))
    }

    /// The HTTP/2 handlers: NIOHTTP2's connection handler with its stream multiplexer, then
    /// ``HTTP2ClientConnectionHandler``. Each stream is one request, served by its own child channel with
    /// `HTTP2FramePayloadToHTTP1ServerCodec` in front of a ``ProxyHandler`` — the same forwarding, sampling, routes,
    /// request ids, metrics and mirroring as HTTP/1.1, one code path.
    ///
    /// The HTTP/1.1 header deadline and idle read timeout leave: HTTP/2 bounds a connection by
    /// `listener.max_concurrent_streams` (SETTINGS_MAX_CONCURRENT_STREAMS) and idleness by
    /// ``HTTP2ClientConnectionHandler``. `listener.max_header_bytes` and `listener.max_headers` are enforced per
    /// stream by ``HTTP2StreamRefusalHandler`` (431 on that stream, the connection goes on); NIOHTTP2 decodes header
    /// blocks up to ``HTTP2StreamRefusalHandler/decodingCeiling(forLimit:)``, announced as SETTINGS_MAX_HEADER_LIST_SIZE.
    /// Flow control is backpressure: a stream whose ``ProxyHandler`` holds reads (legacy cannot take more) is not
    /// given more window, and a stream whose window is spent is unwritable, which pauses reading legacy — for at most
    /// `listener.send_timeout` with no window given, after which the stream is reset and the legacy call abandoned
    /// (``SendDeadline``, per stream, as for an HTTP/1.1 connection; a stream's progress is the client's TCP
    /// acknowledging its own bytes, ``HTTP2OutboundFramePositions``).
    static func addClientHTTP2Handlers(to sync: ChannelPipeline.SynchronousOperations, loop: LoopContext) throws {
        let configuration = loop.shared.configuration
        if let header = try? sync.handler(type: HeaderTimeoutHandler.self) { sync.removeHandler(header, promise: nil) }
        if let idle = try? sync.handler(type: IdleStateHandler.self) { sync.removeHandler(idle, promise: nil) }
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maxConcurrentStreams),
            HTTP2Setting(
                parameter: .maxHeaderListSize, value: HTTP2StreamRefusalHandler.decodingCeiling(forLimit: configuration.maxRequestHeadBytes)
            ),
        ]
        let limits = HTTP2StreamRefusalStateMachine.Limits(
            maxHeaderListSize: configuration.maxRequestHeadBytes, maxHeaderFields: configuration.maxRequestHeaders
        )
        let metrics = loop.shared.metrics
        // Where each stream's frames end on the socket, for listener.send_timeout (``SendTimeoutTimer``): the counter
        // at the head of the pipeline (a TLS connection has it from its start, before NIOSSLHandler; on a plain
        // listener nothing was written before this), the positions directly below NIOHTTP2Handler, added before it so
        // they see its first SETTINGS.
        let counter: OutboundByteCounter
        if let existing = try? sync.handler(type: OutboundByteCounter.self) {
            counter = existing
        } else {
            counter = OutboundByteCounter()
            try sync.addHandler(counter, position: .first)
        }
        try sync.addHandler(HTTP2OutboundFramePositions(counter: counter))
        _ = try sync.configureHTTP2Pipeline(
            mode: .server,
            connectionConfiguration: connection,
            streamConfiguration: NIOHTTP2Handler.StreamConfiguration()
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let sync = stream.pipeline.syncOperations
                try sync.addHandler(HTTP2StreamRefusalHandler(limits: limits, metrics: metrics))
                try sync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try sync.addHandler(ProxyHandler(loop: loop))
            }
        }
        try sync.addHandler(HTTP2ClientConnectionHandler(idleTimeout: configuration.clientIdleTimeout, metrics: metrics))
    }
}
