import NIOCore
import NIOHTTP1

/// One keep-alive connection to an upstream, owned by the ``UpstreamPool`` of its event loop — or, for an HTTP/2
/// upstream, one stream of a multiplexed ``HTTP2UpstreamConnection`` (never parked: each call gets its own stream).
///
/// Loop-confined: every method must be called on ``UpstreamPool/eventLoop``.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamConnectionHandler
    private unowned let pool: UpstreamPool
    /// The HTTP/2 connection this stream belongs to; `nil` for an HTTP/1.1 connection.
    private let multiplexed: HTTP2UpstreamConnection?
    /// Whether the connection already carried a request: a request failing on a reused connection before any
    /// response byte may be retried once, since the upstream may have closed it while it sat idle.
    private(set) var reused = false
    /// Closes the connection after `idleTimeout` parked; armed at every park and disarmed at every lease, so it
    /// is coalesced: a connection leased again and again schedules one task per timeout, not one per request.
    /// Made at the first park (a stream of a multiplexed connection is never parked, so never has one).
    private var idleTimer: CoalescedTimer?
    private var isIdle = false
    private var isClosed = false

    init(channel: any Channel, handler: UpstreamConnectionHandler, pool: UpstreamPool, multiplexed: HTTP2UpstreamConnection? = nil) {
        self.channel = channel
        self.handler = handler
        self.pool = pool
        self.multiplexed = multiplexed
        handler.connection = self
    }

    func begin(receiver: any UpstreamResponseReceiver) {
        self.handler.begin(receiver: receiver)
    }

    /// Starts a call whose whole request is in memory: the head, the body (when there is one) and the end with its
    /// trailers, written and flushed at once.
    func send(_ head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders? = nil, receiver: any UpstreamResponseReceiver) {
        self.begin(receiver: receiver)
        self.handler.write(.head(head))
        if body.readableBytes > 0 {
            self.handler.write(.body(.byteBuffer(body)))
        }
        self.handler.write(.end(trailers))
        self.handler.flush()
    }

    /// Marks the connection as just leased from the idle list.
    func leased() {
        self.isIdle = false
        self.reused = true
        self.idleTimer?.disarm()
    }

    /// Returns the connection to its pool after a complete exchange.
    func release() {
        guard !self.isClosed else { return }
        if self.multiplexed == nil, self.pool.park(self) {
            self.isIdle = true
            let deadline = self.channel.eventLoop.now + self.pool.idleTimeout
            if let idleTimer = self.idleTimer {
                idleTimer.arm(at: deadline)
            } else {
                // Made once per connection, reused at every park; `close()` and `channelClosed()` cancel it.
                let idleTimer = CoalescedTimer(eventLoop: self.channel.eventLoop)
                self.idleTimer = idleTimer
                idleTimer.arm(at: deadline) { [self] in self.close() }
            }
        } else {
            self.close()
        }
    }

    func close() {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.idleTimer?.cancel()
        if self.isIdle { self.pool.unpark(self) }
        self.isIdle = false
        self.channel.close(promise: nil)
    }

    /// Called by the handler when the socket closed, whoever closed it.
    func channelClosed() {
        if !self.isClosed {
            self.isClosed = true
            self.idleTimer?.cancel()
            if self.isIdle { self.pool.unpark(self) }
            self.isIdle = false
        }
        if let multiplexed {
            multiplexed.streamClosed()
        } else {
            self.pool.connectionClosed()
        }
    }
}
