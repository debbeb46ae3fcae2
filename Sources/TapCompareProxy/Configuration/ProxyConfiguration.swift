import NIOCore
import TapCompareMirroring

/// How the proxy listens and reaches legacy. Every timeout is explicit: a proxy never waits forever.
public struct ProxyConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1`.
    public var host: String
    /// Port to listen on; `0` picks a free one (see ``ProxyServer/localAddress``). Default `8080`.
    public var port: Int
    /// TLS on the listener. Default `nil`: plain HTTP. With it, legacy and the candidate see
    /// `X-Forwarded-Proto: https`.
    public var tls: ListenerTLS?
    /// Legacy's base URL; every request goes there and only its answer reaches the client.
    public var legacy: UpstreamURL
    /// How an `https://` legacy's certificate is checked. Default: against the system trust store.
    public var legacyTLS: UpstreamTLS
    /// Whether the client's `Host` header is passed to legacy unchanged. Default `false`: `Host` is rewritten
    /// to legacy's host and port, as most backends behind a proxy expect.
    public var preserveHost: Bool
    /// `forwarded.trust_client_headers`: whether the client is a trusted proxy whose `X-Forwarded-For`,
    /// `-Proto` and `-Host` are kept (the peer's address is appended to `X-Forwarded-For`). Default `false`: this
    /// proxy is the edge, so it sets all three itself and drops the client's values (and `Forwarded`); see
    /// ``ForwardedHeaders/setForwarded(_:clientHost:clientAddress:proto:trustClientHeaders:)``.
    public var trustForwardedHeaders: Bool
    /// Connect timeout to legacy; past it the client gets a 504. Default 1 s.
    public var connectTimeout: TimeAmount
    /// Longest silence from legacy once the request is sent (time to first byte, then between bytes);
    /// past it the client gets a 504 (or the connection is cut if the response had started). Default 30 s.
    public var readTimeout: TimeAmount
    /// Longest time legacy may refuse request body bytes (its socket unwritable); past it the client gets a
    /// 504. Default 30 s.
    public var writeTimeout: TimeAmount
    /// Idle keep-alive connections to legacy kept per event loop; more are closed when released. Busy
    /// connections are not capped here: each client connection uses at most one at a time. Default `128`.
    public var maxIdleConnectionsPerLoop: Int
    /// How long an idle legacy connection is kept before it is closed. Default 60 s.
    public var idleTimeout: TimeAmount
    /// Header carrying the request id to legacy and candidate; generated (UUIDv7) when absent.
    /// Default `X-Request-Id`.
    public var requestIDHeader: String
    /// Largest request head accepted from a client, and largest single header line; larger gets a 431.
    /// Default 64 KiB.
    public var maxRequestHeadBytes: Int
    /// Most header fields accepted in one request head; more gets a 431. Default `100`.
    public var maxRequestHeaders: Int
    /// How long a client may take to send a complete request head, counted from accepting the connection and
    /// from the first byte of each later request; past it the client gets a 408 and is closed (see
    /// ``HeaderDeadline``). Default 10 s.
    public var headerTimeout: TimeAmount
    /// How long a client connection may stay silent between requests before it is closed. Default 60 s.
    public var clientIdleTimeout: TimeAmount
    /// On shutdown, how long to wait for in-flight candidate calls after the last legacy response. Default 10 s.
    public var shutdownGrace: TimeAmount
    /// Connections the listening socket queues before accepting. Default `1024`.
    public var backlog: Int32

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        legacy: UpstreamURL,
        preserveHost: Bool = false,
        trustForwardedHeaders: Bool = false,
        connectTimeout: TimeAmount = .seconds(1),
        readTimeout: TimeAmount = .seconds(30),
        writeTimeout: TimeAmount = .seconds(30),
        maxIdleConnectionsPerLoop: Int = 128,
        idleTimeout: TimeAmount = .seconds(60),
        requestIDHeader: String = "X-Request-Id",
        maxRequestHeadBytes: Int = 64 * 1024,
        maxRequestHeaders: Int = 100,
        headerTimeout: TimeAmount = .seconds(10),
        clientIdleTimeout: TimeAmount = .seconds(60),
        shutdownGrace: TimeAmount = .seconds(10),
        backlog: Int32 = 1024,
        tls: ListenerTLS? = nil,
        legacyTLS: UpstreamTLS = UpstreamTLS()
    ) {
        self.tls = tls
        self.legacyTLS = legacyTLS
        self.host = host
        self.port = port
        self.legacy = legacy
        self.preserveHost = preserveHost
        self.trustForwardedHeaders = trustForwardedHeaders
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.maxIdleConnectionsPerLoop = maxIdleConnectionsPerLoop
        self.idleTimeout = idleTimeout
        self.requestIDHeader = requestIDHeader
        self.maxRequestHeadBytes = maxRequestHeadBytes
        self.maxRequestHeaders = maxRequestHeaders
        self.headerTimeout = headerTimeout
        self.clientIdleTimeout = clientIdleTimeout
        self.shutdownGrace = shutdownGrace
        self.backlog = backlog
    }
}
