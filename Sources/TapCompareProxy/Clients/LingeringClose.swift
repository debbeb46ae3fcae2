import NIOCore

/// Ends a client connection whose client may still be sending: a refusal, or a response legacy gave before the
/// request's upload ended (a `413`, a `401`, a `417` after `Expect: 100-continue`).
///
/// Closing at once with the rest of the request unread would make the kernel send a reset instead of a FIN, and
/// a reset can destroy the answer before the client reads it (the client's next write fails and it gives up on
/// the connection). So the sending side is shut (the client sees the end of the answer), what the client still
/// sends is read and dropped by a ``LingeringDrainHandler`` in front of the HTTP decoder, and the connection is
/// closed when the client closes its side, after ``time``, or once ``maxBytes`` were dropped — whichever comes
/// first, so a client that keeps sending costs a bounded amount of reading.
enum LingeringClose {
    /// How long a client's further bytes are read and discarded before the connection is closed.
    static let time: TimeAmount = .seconds(1)
    /// How many of a client's further bytes are read and discarded before the connection is closed. The answer
    /// left before the draining began, so by then it has long reached the client; this only stops a client that
    /// keeps uploading from being read for nothing at line rate.
    static let maxBytes = 16 << 20

    /// Starts the lingering close of `context`'s connection, after the answer's last write completed.
    ///
    /// On an HTTP/2 stream, where there is no socket of its own and `close(mode: .output)` closes the stream
    /// (RFC 9113 §8.1 lets a server reset a stream once its complete response is sent), this is a plain close.
    static func start(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let pipeline = context.pipeline.syncOperations
        // The header deadline sits first in an HTTP/1.1 connection's pipeline, right behind TLS: behind it the
        // drain sees plaintext bytes, and the HTTP decoder (further on) parses nothing more.
        if let first = try? pipeline.context(handlerType: HeaderTimeoutHandler.self),
            (try? pipeline.handler(type: LingeringDrainHandler.self)) == nil
        {
            try? pipeline.addHandler(LingeringDrainHandler(maxBytes: Self.maxBytes), position: .after(first.handler))
        }
        context.close(mode: .output, promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.time) {
            context.close(promise: nil)
        }
    }
}

/// Reads and drops what a client sends while its connection closes (see ``LingeringClose``), and closes the
/// connection once more than `maxBytes` were dropped.
final class LingeringDrainHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let maxBytes: Int
    private var dropped = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.dropped += self.unwrapInboundIn(data).readableBytes
        if self.dropped > self.maxBytes { context.close(promise: nil) }
    }
}
