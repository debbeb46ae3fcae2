import NIOCore
import NIOHTTP1

/// Receives one upstream response. Every call happens on the connection's event loop, which is also the
/// receiver's: the proxy leases connections on the client connection's own loop so that forwarding is plain
/// method calls, with no hops and no locks.
protocol UpstreamResponseReceiver: AnyObject {
    /// A response head; informational (1xx) heads may precede the final one.
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBodyPart(_ buffer: ByteBuffer)
    /// The response is complete; the connection has already gone back to its pool (or been closed).
    /// - Parameter trailers: the response's trailers (HTTP/2 trailers, or HTTP/1.1 chunked trailers), `nil` for none.
    func upstreamResponseEnd(trailers: HTTPHeaders?)
    /// The end of one burst of reads: the moment to flush what was forwarded.
    func upstreamReadComplete()
    /// The call failed; the connection is closed. `responseStarted` tells whether a head was delivered.
    func upstreamFailed(_ error: UpstreamError, responseStarted: Bool)
    /// The upstream socket's writability changed: request body backpressure.
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The upstream answered `101 Switching Protocols` and its response is complete: the connection left the pool
    /// and now belongs to the receiver (to tunnel, or to close).
    func upstreamSwitchedProtocols(_ connection: UpstreamConnection)
}

extension UpstreamResponseReceiver {
    /// Default: nothing asked for an upgrade, so the connection is closed.
    func upstreamSwitchedProtocols(_ connection: UpstreamConnection) {
        connection.close()
    }
}

/// Takes a connection leased from an ``UpstreamPool`` (``UpstreamPool/acquire(for:token:)``): a method instead of
/// a callback, so leasing a pooled connection allocates nothing (a closure per lease was one or two allocations on
/// every forwarded and every mirrored request).
protocol UpstreamLeaseReceiver: AnyObject {
    /// The lease's outcome, on the pool's event loop; `token` is the one given to `acquire`, for the receiver to
    /// tell a stale lease (of a request it abandoned meanwhile) from the current one.
    func upstreamLeased(_ result: Result<UpstreamConnection, UpstreamError>, token: Int)
}
