import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL
import TapCompareMirroring

/// The HTTP/2 side of ``UpstreamPool``: multiplexed connections per event loop, each call a stream.
///
/// A call gets a stream on the first ready connection below the server's SETTINGS_MAX_CONCURRENT_STREAMS. When
/// every connection is full another is connected, up to `maxIdle` connections (`upstream.max_connections`); beyond
/// that calls wait, in order, for a stream to end. A connection is ready once the server's first SETTINGS frame
/// arrived (so its limit is known before streams are opened on it); one that GOAWAYs, fails or closes takes no more
/// streams and a new one is connected for those waiting. The waiting calls are bounded by what feeds them: client
/// streams (`listener.max_concurrent_streams` per client connection) for legacy, `mirror.max_in_flight` for the
/// candidate.
extension UpstreamPool {
    func acquireStream(_ callback: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void) {
        guard !self.isShutDown else {
            callback(.failure(.cancelled))
            return
        }
        if self.http2Waiters.isEmpty, let connection = self.http2Connections.first(where: \.hasCapacity) {
            self.openStream(on: connection, callback)
            return
        }
        self.http2Waiters.append(callback)
        self.connectHTTP2IfNeeded()
    }

    private func openStream(
        on connection: HTTP2UpstreamConnection, _ callback: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void
    ) {
        connection.openStream(
            httpProtocol: self.tls == nil ? .http : .https, readTimeout: self.readTimeout, writeTimeout: self.writeTimeout, callback
        )
    }

    /// Serves waiting calls from connections with room, then connects another connection when some still wait.
    private func serveWaiters() {
        while !self.http2Waiters.isEmpty, let connection = self.http2Connections.first(where: \.hasCapacity) {
            self.openStream(on: connection, self.http2Waiters.removeFirst())
        }
        if !self.http2Waiters.isEmpty { self.connectHTTP2IfNeeded() }
    }

    /// Connects one more connection when calls wait, none is connecting or waiting for its SETTINGS, and the bound
    /// allows it.
    private func connectHTTP2IfNeeded() {
        guard !self.isShutDown, self.http2Connecting == 0 else { return }
        guard !self.http2Connections.contains(where: { !$0.isReady && !$0.isClosed }) else { return }
        guard self.http2Connections.count < self.maxIdle else { return }
        self.connectHTTP2()
    }

    private func connectHTTP2() {
        self.http2Connecting += 1
        let tls = self.tls
        let serverName = self.target.tlsServerName
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .client,
                        connectionConfiguration: NIOHTTP2Handler.ConnectionConfiguration(),
                        streamConfiguration: NIOHTTP2Handler.StreamConfiguration()
                    ) { pushed in
                        // Server push is off (SETTINGS_ENABLE_PUSH 0 by default); a stream the server opens anyway is refused.
                        pushed.close()
                    }
                    try sync.addHandler(HTTP2UpstreamConnectionObserver())
                }
            }
        let future: EventLoopFuture<any Channel> =
            if let address = self.resolvedAddress {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: self.target.host, port: self.target.port)
            }
        future.assumeIsolated().whenComplete { [self] result in
            self.http2Connecting -= 1
            switch result {
            case .success(let channel):
                do {
                    let sync = channel.pipeline.syncOperations
                    let multiplexer = try sync.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
                    let observer = try sync.handler(type: HTTP2UpstreamConnectionObserver.self)
                    // Shut down while connecting: nothing may use it, and nothing would close it.
                    guard channel.isActive, !self.isShutDown else { throw UpstreamError.closedEarly }
                    let connection = HTTP2UpstreamConnection(channel: channel, multiplexer: multiplexer, pool: self)
                    observer.connection = connection
                    self.http2Connections.append(connection)
                    self.armReadyDeadline(connection)
                } catch {
                    channel.close(promise: nil)
                    self.http2ConnectFailed(UpstreamError(.connectFailed, underlying: error))
                }
            case .failure(let error):
                if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                    self.http2ConnectFailed(UpstreamError(.connectTimeout, underlying: error))
                } else {
                    self.http2ConnectFailed(UpstreamError(.connectFailed, underlying: error))
                }
            }
        }
    }

    /// A server that accepts the connection but never sends its SETTINGS (not HTTP/2, a stalled TLS handshake) is
    /// given up after the connect timeout.
    private func armReadyDeadline(_ connection: HTTP2UpstreamConnection) {
        self.eventLoop.assumeIsolated().scheduleTask(in: self.connectTimeout) {
            if !connection.isReady { connection.close() }
        }
    }

    /// Connecting failed: with no other connection to wait for, every waiting call fails with the error.
    private func http2ConnectFailed(_ error: UpstreamError) {
        guard self.http2Connections.isEmpty else {
            self.serveWaiters()
            return
        }
        self.failWaiters(error)
    }

    private func failWaiters(_ error: UpstreamError) {
        while !self.http2Waiters.isEmpty {
            self.http2Waiters.removeFirst()(.failure(error))
        }
    }

    func http2ConnectionReady(_ connection: HTTP2UpstreamConnection) {
        self.serveWaiters()
    }

    func http2CapacityFreed() {
        self.serveWaiters()
    }

    /// - Parameter failure: the error that ended the connection, if one did.
    func http2ConnectionClosed(_ connection: HTTP2UpstreamConnection, failure: (any Error)?) {
        let wasReady = connection.isReady
        self.http2Connections.removeAll { $0 === connection }
        if !wasReady, self.http2Connections.isEmpty, self.http2Connecting == 0 {
            // It never became usable (refused TLS, not an HTTP/2 server): those waiting fail rather than loop.
            let code: UpstreamError.Code =
                if failure is NIOSSLError || failure is BoringSSLError {
                    .tlsHandshake
                } else if failure is any NIOHTTP2Error {
                    .http2Protocol
                } else {
                    .closedEarly
                }
            self.failWaiters(UpstreamError(code, underlying: failure))
            return
        }
        self.serveWaiters()
    }

    func shutdownHTTP2() {
        self.failWaiters(.cancelled)
        for connection in self.http2Connections where connection.activeStreams == 0 { connection.close() }
    }
}
