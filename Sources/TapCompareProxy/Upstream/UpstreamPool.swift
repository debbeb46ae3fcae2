import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TapCompareMirroring

/// Keep-alive connections to one upstream, for one event loop.
///
/// We measured no AsyncHTTPClient alternative head-to-head; we chose a small per-loop pool because the proxy
/// forwards on the client connection's own event loop with plain method calls (no future per part, no
/// executor hop, no `URL` parsed per request), streams both directions with backpressure through
/// `read()` interception, and keeps headers and framing exactly as legacy sent them (AsyncHTTPClient
/// re-validates and re-frames requests, and by default follows redirects and may decompress).
///
/// For an HTTP/2 upstream (``UpstreamURL/httpVersion``) the pool holds multiplexed connections instead and leases
/// streams (see `UpstreamPool+HTTP2.swift`).
///
/// Loop-confined: every method must be called on ``eventLoop``.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let target: UpstreamURL
    let idleTimeout: TimeAmount
    let maxIdle: Int
    let connectTimeout: TimeAmount
    let readTimeout: TimeAmount
    let writeTimeout: TimeAmount
    /// `SO_SNDBUF` of each new connection, `nil` for the kernel's autotuning (``ProxyConfiguration/legacySendBufferSize``).
    let sendBufferSize: Int?
    let resolvedAddress: SocketAddress?
    /// The shared TLS context for an `https://` upstream, `nil` for `http://`.
    let tls: NIOSSLContext?
    private var idle: [UpstreamConnection] = []
    /// Connections open now, idle or busy.
    private(set) var openConnections = 0
    private(set) var isShutDown = false

    // MARK: HTTP/2 (see `UpstreamPool+HTTP2.swift`)

    /// Multiplexed connections, connected and not yet closed (ready or waiting for the server's SETTINGS).
    var http2Connections: [HTTP2UpstreamConnection] = []
    /// HTTP/2 connections being connected.
    var http2Connecting = 0
    /// Calls waiting for a stream: every connection is full and no more may be opened, or one is connecting.
    var http2Waiters = CircularBuffer<(Result<UpstreamConnection, UpstreamError>) -> Void>()

    init(
        eventLoop: any EventLoop,
        target: UpstreamURL,
        maxIdle: Int,
        idleTimeout: TimeAmount,
        connectTimeout: TimeAmount,
        readTimeout: TimeAmount,
        writeTimeout: TimeAmount,
        tls: NIOSSLContext? = nil,
        sendBufferSize: Int? = nil
    ) {
        self.sendBufferSize = sendBufferSize
        self.eventLoop = eventLoop
        self.target = target
        self.maxIdle = maxIdle
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.tls = tls
        // An IP literal is parsed once; a name is resolved on each new connection (never per request).
        self.resolvedAddress = try? SocketAddress(ipAddress: target.host, port: target.port)
        self.idle.reserveCapacity(maxIdle)
    }

    /// Leases an idle connection, or connects a new one. The callback runs on ``eventLoop``, synchronously
    /// when an idle connection is available.
    func acquire(_ callback: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void) {
        if self.target.httpVersion == .http2 {
            self.acquireStream(callback)
            return
        }
        if let connection = self.leaseIdle() {
            callback(.success(connection))
            return
        }
        self.connect(callback)
    }

    /// ``acquire(_:)`` for a receiver: `receiver.upstreamLeased(_:token:)` runs on ``eventLoop``, synchronously when
    /// an idle connection is available, and then nothing is allocated for the lease.
    func acquire(for receiver: any UpstreamLeaseReceiver, token: Int) {
        if self.target.httpVersion == .http1, let connection = self.leaseIdle() {
            receiver.upstreamLeased(.success(connection), token: token)
            return
        }
        self.acquire { [receiver] in receiver.upstreamLeased($0, token: token) }
    }

    /// The most recently parked connection that is still open, marked leased; closed ones found on the way are
    /// dropped.
    private func leaseIdle() -> UpstreamConnection? {
        while let connection = self.idle.popLast() {
            if connection.handler.isActive {
                connection.leased()
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Leases a connection for a call whose whole request is in memory (a candidate call, a replayed request) and
    /// sends the request on it.
    /// - Parameters:
    ///   - ended: whether the call ended while it waited (timed out, cancelled): the connection then goes back unused.
    ///   - connected: the connection, told before the request is written (so the call can abandon it later).
    ///   - failed: no connection could be had.
    func send(
        _ head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders? = nil, to receiver: any UpstreamResponseReceiver,
        ended: @escaping () -> Bool, connected: @escaping (UpstreamConnection) -> Void, failed: @escaping (UpstreamError) -> Void
    ) {
        self.acquire { result in
            switch result {
            case .success(let connection):
                guard !ended() else {
                    connection.release()
                    return
                }
                connected(connection)
                connection.send(head, body: body, trailers: trailers, receiver: receiver)
            case .failure(let error):
                failed(error)
            }
        }
    }

    /// Connects a fresh connection (used for the one retry after a stale pooled connection).
    func connect(_ callback: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void) {
        if self.target.httpVersion == .http2 {
            // The retry after a refused stream: a new stream, never on a connection that is leaving (GOAWAY).
            self.acquireStream(callback)
            return
        }
        guard !self.isShutDown else {
            callback(.failure(.cancelled))
            return
        }
        let readTimeout = self.readTimeout
        let writeTimeout = self.writeTimeout
        let tls = self.tls
        let serverName = self.target.tlsServerName
        var bootstrap = ClientBootstrap(group: self.eventLoop)
        if let size = self.sendBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(size))
        }
        bootstrap = bootstrap
            .connectTimeout(self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        // The handshake starts once connected; request bytes written before it completes are
                        // held by the TLS handler, so a call can begin at once.
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    // Only an upgrade (101) stops the codec's parser; its left-over bytes then belong to the tunnel. No
                    // outbound header validator: a request's fields are the client's, checked when they were parsed,
                    // and the proxy's own (see `ProxyServer.addClientHTTP1Handlers`).
                    try sync.addHandler(UpstreamHTTP1Codec())
                    try sync.addHandler(
                        UpstreamConnectionHandler(readTimeout: readTimeout, writeTimeout: writeTimeout, awaitsTLSHandshake: tls != nil)
                    )
                }
            }
        let future: EventLoopFuture<any Channel>
        if let address = self.resolvedAddress {
            future = bootstrap.connect(to: address)
        } else {
            future = bootstrap.connect(host: self.target.host, port: self.target.port)
        }
        self.openConnections += 1
        future.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                    let connection = UpstreamConnection(channel: channel, handler: handler, pool: self)
                    if !channel.isActive {
                        // It closed before the connection object existed, so `channelClosed` never ran.
                        self.openConnections -= 1
                        callback(.failure(.closedEarly))
                        return
                    }
                    callback(.success(connection))
                } catch {
                    self.openConnections -= 1
                    channel.close(promise: nil)
                    callback(.failure(UpstreamError(.connectFailed, underlying: error)))
                }
            case .failure(let error):
                self.openConnections -= 1
                if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                    callback(.failure(UpstreamError(.connectTimeout, underlying: error)))
                } else {
                    callback(.failure(UpstreamError(.connectFailed, underlying: error)))
                }
            }
        }
    }

    /// Takes back an idle connection; `false` when the idle list is full (the caller closes it).
    func park(_ connection: UpstreamConnection) -> Bool {
        guard !self.isShutDown, self.idle.count < self.maxIdle else { return false }
        self.idle.append(connection)
        return true
    }

    func unpark(_ connection: UpstreamConnection) {
        if let index = self.idle.firstIndex(where: { $0 === connection }) {
            self.idle.remove(at: index)
        }
    }

    func connectionClosed() {
        self.openConnections -= 1
    }

    /// Closes idle connections and refuses new ones; busy connections finish their call.
    func shutdown() {
        self.isShutDown = true
        let idle = self.idle
        self.idle.removeAll()
        for connection in idle { connection.close() }
        self.shutdownHTTP2()
    }
}
