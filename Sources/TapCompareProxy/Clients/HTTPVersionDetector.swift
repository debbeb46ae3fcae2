import NIOCore

/// Tells an HTTP/2 client from an HTTP/1.1 one on the same listening socket by its first bytes, installs the
/// matching pipeline behind itself and leaves.
///
/// An HTTP/2 client — with prior knowledge (h2c) or after choosing `h2` by ALPN — starts with the connection
/// preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4), which no HTTP/1.1 request line can start with
/// (`PRI` is not a method any HTTP/1.1 server answers). Bytes are compared as they come: the first one that differs
/// decides HTTP/1.1 (most requests on the first byte), all 24 equal decide HTTP/2. Until then the bytes are held;
/// ``HeaderTimeoutHandler``, in front, bounds how long a client may take to send them.
final class HTTPVersionDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Version {
        case http1
        case http2
    }

    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Installs the pipeline for the detected version at the end of the pipeline (behind this handler).
    private let install: (Version, ChannelPipeline.SynchronousOperations) throws -> Void
    private var held: ByteBuffer?
    private var decided = false

    init(install: @escaping (Version, ChannelPipeline.SynchronousOperations) throws -> Void) {
        self.install = install
    }

    /// What the bytes so far say: a version, or `nil` while they are a strict prefix of the preface.
    static func detect(_ bytes: ByteBuffer) -> Version? {
        let view = bytes.readableBytesView
        for (byte, expected) in zip(view, Self.preface) where byte != expected { return .http1 }
        return view.count >= Self.preface.count ? .http2 : nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.decided else {
            context.fireChannelRead(data)
            return
        }
        var buffer = self.unwrapInboundIn(data)
        if var held = self.held {
            held.writeBuffer(&buffer)
            buffer = held
        }
        guard let version = Self.detect(buffer) else {
            self.held = buffer
            return
        }
        self.held = nil
        self.decided = true
        do {
            try self.install(version, context.pipeline.syncOperations)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(self.wrapInboundOut(buffer))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// A client that shuts its sending side before its bytes tell a version (none, or a strict prefix of the preface)
    /// sent no request: its connection closes, as it did before the listener allowed half-closure.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !self.decided, case .some(.inputClosed) = event as? ChannelEvent {
            self.held = nil
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Held bytes are not a request yet: nothing behind this handler has anything to finish.
        if self.decided { context.fireChannelReadComplete() }
    }
}
