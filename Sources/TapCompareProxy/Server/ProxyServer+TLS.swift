import NIOCore
import NIOSSL
import NIOTLS

extension ProxyServer {
    /// Puts TLS at the front of an accepted connection's pipeline when the listener has it; the context is the
    /// one built at start-up, only the per-connection handlers are new.
    ///
    /// Everything after it (the header deadline, the HTTP parser) sees decrypted bytes. A client that speaks
    /// plain HTTP (or cannot agree on TLS) fails its handshake: it is counted as refused (`tls_handshake`) and
    /// its connection closed by the proxy handler; no other connection is affected.
    func addListenerTLSIfConfigured(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        guard let context = self.shared.tls.listener else { return }
        // Before TLS, so it counts ciphertext: the bytes the client's TCP acknowledges (HTTP/2's send timeout).
        try pipeline.addHandler(OutboundByteCounter())
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
        try pipeline.addHandler(ListenerHandshakeFailureCounter(metrics: self.shared.metrics))
    }
}

/// Counts a client whose TLS handshake fails, once, then passes the error on. It leaves the pipeline once the
/// handshake completes, so requests on an established connection do not pass through it.
final class ListenerHandshakeFailureCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let metrics: ProxyMetrics
    private var handshakeDone = false
    private var counted = false

    init(metrics: ProxyMetrics) {
        self.metrics = metrics
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !self.handshakeDone {
            self.handshakeDone = true
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.handshakeDone, !self.counted, error is NIOSSLError || error is BoringSSLError {
            self.counted = true
            self.metrics.refused(.tlsHandshake)
        }
        context.fireErrorCaught(error)
    }
}
