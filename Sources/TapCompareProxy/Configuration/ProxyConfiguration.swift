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
    /// connections are not capped here: each client connection uses at most one at a time. For an HTTP/2 legacy
    /// it bounds the multiplexed connections per event loop instead (busy or not). Default `512`: below the
    /// number of clients busy at once, every request past it closes its connection on release and the next one
    /// connects anew (at 256 busy clients and 64 kept, a connect per 3.6 requests halved the proxy's throughput).
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
    /// How long a client connection may stay silent between requests before it is closed (an HTTP/2 connection:
    /// with no stream open). Default 60 s.
    public var clientIdleTimeout: TimeAmount
    /// `listener.send_timeout`: how long a response may wait on a client that takes none of it — the client
    /// connection's write buffer full (an HTTP/2 stream's flow-control window spent), or its last bytes unsent — with
    /// nothing reaching the client's socket in between. Past it the client is cut off (an HTTP/1.1 connection reset,
    /// an HTTP/2 stream reset), the legacy call still answering it is abandoned, not pooled, and it is counted as
    /// `tapcompare_client_closed_total{reason="send_timeout"}` (see ``SendDeadline``). As nginx's `send_timeout`, it
    /// bounds the time between two writes, not the whole response: a slow client that keeps reading is never cut. On
    /// Linux its TCP acknowledging bytes counts as reading (`TCP_INFO`); where that cannot be read, a client must take
    /// about a third of its socket's send buffer per timeout to be seen reading (``TCPAcknowledgedBytes``).
    /// It also bounds how long such a client holds a graceful shutdown. Default 60 s.
    public var sendTimeout: TimeAmount
    /// `listener.max_concurrent_streams`: the streams an HTTP/2 client may have open at once on one connection
    /// (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused by the HTTP/2 layer (RST_STREAM `REFUSED_STREAM`).
    /// Default `100`.
    public var maxConcurrentStreams: Int
    /// On shutdown, how long to wait for in-flight candidate calls after the last legacy response. Default 10 s.
    public var shutdownGrace: TimeAmount
    /// `listener.backlog`: connections the kernel queues on the listening socket before they are accepted
    /// (`listen(2)`'s backlog, capped by `net.core.somaxconn`). Default `1024`.
    public var backlog: Int32
    /// `listener.max_accepts_per_wakeup`: how many waiting connections the listener accepts each time its loop finds it readable, before it turns to
    /// the connections it already serves (HAProxy's `tune.maxaccept`, whose default this is). NIO's own default is 4:
    /// on a loop busy with established connections, a burst of new ones (a client pool reconnecting, a load test
    /// starting) then waited in the backlog for hundreds of milliseconds — 4 per turn of the loop — before its first
    /// request was read. Default `64`.
    public var maxAcceptsPerWakeup: Int
    /// The kernel send buffer of each client connection (`SO_SNDBUF`, which Linux doubles; nginx's `listen … sndbuf=`),
    /// or `nil` to leave it to the kernel, which grows it as the connection needs (up to `net.ipv4.tcp_wmem`'s
    /// maximum, 4 MiB by default). A fixed size also stops that growth. Not a `tapcompare.yml` key; the send-timeout
    /// tests set it so a stall is reached, and drained, in kilobytes rather than megabytes. Default `nil`.
    public var clientSendBufferSize: Int?
    /// The kernel send buffer (`SO_SNDBUF`) of each connection to legacy, or `nil` (the default) to leave it to the
    /// kernel's autotuning, as ``clientSendBufferSize`` does for clients. Not a `tapcompare.yml` key; the tunnel tests
    /// set it so bytes toward a slow legacy wait in the proxy rather than in a send buffer grown to a megabyte.
    public var legacySendBufferSize: Int? = nil

    /// Every default of this configuration, written once: the initializer's default arguments and `serve`'s
    /// configuration (`ServeConfiguration`) both read them, so a library user and a `tapcompare.yml` user get the
    /// same proxy.
    public enum Defaults {
        public static let connectTimeout: Duration = .seconds(1)
        public static let readTimeout: Duration = .seconds(30)
        public static let writeTimeout: Duration = .seconds(30)
        /// `upstream.max_connections`.
        public static let maxIdleConnectionsPerLoop = 512
        public static let idleTimeout: Duration = .seconds(60)
        public static let requestIDHeader = "X-Request-Id"
        /// `listener.max_header_bytes`.
        public static let maxRequestHeadBytes = 64 << 10
        /// `listener.max_headers`.
        public static let maxRequestHeaders = 100
        /// `listener.header_timeout`.
        public static let headerTimeout: Duration = .seconds(10)
        /// `listener.idle_timeout`.
        public static let clientIdleTimeout: Duration = .seconds(60)
        /// `listener.send_timeout` (nginx's `send_timeout` default).
        public static let sendTimeout: Duration = .seconds(60)
        /// `listener.max_concurrent_streams`.
        public static let maxConcurrentStreams = 100
        /// `listener.backlog` (nginx's `listen … backlog=` is 511; a burst above it would be dropped by the kernel).
        public static let backlog: Int32 = 1024
        /// `listener.max_accepts_per_wakeup` (HAProxy's `tune.maxaccept`).
        public static let maxAcceptsPerWakeup = 64
        public static let shutdownGrace: Duration = .seconds(10)
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        legacy: UpstreamURL,
        preserveHost: Bool = false,
        trustForwardedHeaders: Bool = false,
        connectTimeout: TimeAmount = TimeAmount(Defaults.connectTimeout),
        readTimeout: TimeAmount = TimeAmount(Defaults.readTimeout),
        writeTimeout: TimeAmount = TimeAmount(Defaults.writeTimeout),
        maxIdleConnectionsPerLoop: Int = Defaults.maxIdleConnectionsPerLoop,
        idleTimeout: TimeAmount = TimeAmount(Defaults.idleTimeout),
        requestIDHeader: String = Defaults.requestIDHeader,
        maxRequestHeadBytes: Int = Defaults.maxRequestHeadBytes,
        maxRequestHeaders: Int = Defaults.maxRequestHeaders,
        headerTimeout: TimeAmount = TimeAmount(Defaults.headerTimeout),
        clientIdleTimeout: TimeAmount = TimeAmount(Defaults.clientIdleTimeout),
        sendTimeout: TimeAmount = TimeAmount(Defaults.sendTimeout),
        maxConcurrentStreams: Int = Defaults.maxConcurrentStreams,
        shutdownGrace: TimeAmount = TimeAmount(Defaults.shutdownGrace),
        backlog: Int32 = Defaults.backlog,
        maxAcceptsPerWakeup: Int = Defaults.maxAcceptsPerWakeup,
        clientSendBufferSize: Int? = nil,
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
        self.sendTimeout = sendTimeout
        self.maxConcurrentStreams = maxConcurrentStreams
        self.shutdownGrace = shutdownGrace
        self.backlog = backlog
        self.maxAcceptsPerWakeup = maxAcceptsPerWakeup
        self.clientSendBufferSize = clientSendBufferSize
    }
}
