import NIOCore

/// Counts every byte written toward a client connection's socket, at the head of its pipeline: the unit of its TCP's
/// acknowledged bytes (``TCPAcknowledgedBytes``), so a position taken from ``written`` can be compared with them.
/// ``HTTP2OutboundFramePositions`` takes each HTTP/2 stream's positions from it.
///
/// Over TLS it sits before `NIOSSLHandler` and so counts ciphertext, handshake records included, as TCP does. It is
/// added where an HTTP/2 connection may need it: first in every TLS connection's pipeline (ALPN and the first bytes
/// decide the protocol only after the handshake, whose bytes TCP counts too; an HTTP/1.1 connection over TLS pays one
/// handler hop per write), and on a plain listener only when the client speaks HTTP/2 (nothing was written to it
/// before: a server speaks second), so an HTTP/1.1 connection on a plain listener does not have it.
final class OutboundByteCounter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The bytes written toward the socket since the connection opened (pending writes included: TCP counts them
    /// once they leave).
    private(set) var written: UInt64 = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.written += UInt64(self.unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }
}
