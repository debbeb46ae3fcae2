import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy

/// Sends captured requests to an upstream over a bounded, keep-alive connection pool.
///
/// AsyncHTTPClient's defaults are wrong for comparing upstreams: it would follow redirects (so a 301 would be
/// compared as the page it points to) and decompress bodies (so gzip bytes would differ from the capture).
/// Both are turned off, and every timeout is explicit.
///
/// An HTTP/2 target (`h2c://`, or `https://` with `--candidate-protocol http2`) is reached through the proxy's own
/// ``UpstreamClient`` instead: its multiplexed connections respect the server's stream limit, and it sends and
/// collects trailers (gRPC's `grpc-status` lives there), which AsyncHTTPClient does not.
final class ReplayClient: Sendable {
    private let client: HTTPClient
    private let timeout: Duration
    private let maxResponseBytes: Int
    /// Each `https` target's TLS configuration, read once (AsyncHTTPClient keeps one SSL context per
    /// configuration); a target whose CA file could not be read maps to the reason, and each of its calls fails
    /// with it instead of silently falling back to other trust roots.
    private let tlsByTarget: [ReplayTarget: Result<TLSConfiguration, TLSFileError>]
    /// Each HTTP/2 target's client; one whose CA file could not be read maps to the reason, as in ``tlsByTarget``.
    private let http2ByTarget: [ReplayTarget: Result<UpstreamClient, TLSFileError>]

    /// - Parameter connectionsPerHost: the pool's size for each host. Sized so no call ever waits for a connection:
    ///   that wait counts against the connect timeout, so a short pool turns a busy machine into "connect timed out".
    init(connectionsPerHost: Int, timeout: Duration, connectTimeout: Duration, maxResponseBytes: Int, targets: [ReplayTarget] = []) {
        var tlsByTarget: [ReplayTarget: Result<TLSConfiguration, TLSFileError>] = [:]
        for target in targets where target.scheme == "https" {
            tlsByTarget[target] = Result { () throws(TLSFileError) in try target.tls.makeClientConfiguration() }
        }
        self.tlsByTarget = tlsByTarget
        var http2ByTarget: [ReplayTarget: Result<UpstreamClient, TLSFileError>] = [:]
        for target in targets where target.httpVersion == .http2 {
            let configuration = UpstreamClient.Configuration(
                target: target.upstream, tls: target.tls,
                // Each connection multiplexes up to the server's stream limit (100 is usual): a few carry any
                // --concurrency, and calls beyond every connection's limit wait for a stream within their timeout.
                maxConnections: min(max(1, connectionsPerHost), Self.maxHTTP2Connections),
                connectTimeout: connectTimeout, timeout: timeout, maxResponseBodyBytes: maxResponseBytes
            )
            http2ByTarget[target] = Result { () throws(TLSFileError) in try UpstreamClient(configuration: configuration) }
        }
        self.http2ByTarget = http2ByTarget
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: TimeAmount(connectTimeout), read: TimeAmount(timeout))
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(30),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost)
        )
        self.client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// Headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), and those the client computes for the new connection.
    static let droppedHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "host", "content-length",
    ]

    /// The most HTTP/2 connections to one target.
    static let maxHTTP2Connections = 4

    /// Sends the request; the result is never thrown: failures and timeouts are values, as in `serve`.
    func send(_ request: RequestSnapshot, to target: ReplayTarget, extraHeaders: [(name: String, value: String)]) async -> CandidateResult {
        if let http2 = self.http2ByTarget[target] {
            switch http2 {
            case .success(let client): return await Self.send(request, over: client, extraHeaders: extraHeaders)
            case .failure(let error): return .failed(reason: "TLS: \(error.description)", latency: .zero)
            }
        }
        var outgoing = HTTPClientRequest(url: target.url(for: request.uri))
        outgoing.method = request.method
        switch self.tlsByTarget[target] {
        case .success(let tls): outgoing.tlsConfiguration = tls
        case .failure(let error): return .failed(reason: "TLS: \(error.description)", latency: .zero)
        case nil: break
        }
        outgoing.headers = Self.headers(request, extraHeaders: extraHeaders)
        if request.body.readableBytes > 0 || request.method == .POST || request.method == .PUT || request.method == .PATCH {
            outgoing.body = .bytes(request.body)
        }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await self.client.execute(outgoing, timeout: TimeAmount(self.timeout))
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: self.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                return .skipped(.responseTooLarge)
            }
            let snapshot = ResponseSnapshot(status: response.status, version: response.version, headers: response.headers, body: body)
            return .response(snapshot, latency: clock.now - start)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .timedOut(after: clock.now - start)
        } catch {
            return .failed(reason: Self.describe(error), latency: clock.now - start)
        }
    }

    /// The captured headers sent again: those in ``droppedHeaders`` left out, `extraHeaders` (`--header`, the shadow
    /// header) replacing captured ones of the same name.
    private static func headers(_ request: RequestSnapshot, extraHeaders: [(name: String, value: String)]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        let overridden = Set(extraHeaders.map { $0.name.lowercased() })
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if Self.droppedHeaders.contains(lower) || overridden.contains(lower) { continue }
            headers.add(name: name, value: value)
        }
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        return headers
    }

    /// The captured request over HTTP/2: its headers (less those HTTP/2 forbids or the client sets), `Host` for
    /// the target, `TE: trailers` (gRPC servers refuse calls without it), the body byte for byte and its trailers.
    private static func send(_ request: RequestSnapshot, over client: UpstreamClient, extraHeaders: [(name: String, value: String)]) async -> CandidateResult {
        var headers = Self.headers(request, extraHeaders: extraHeaders)
        headers.replaceOrAdd(name: "Host", value: client.configuration.target.hostHeader)
        headers.add(name: "te", value: "trailers")
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)
        let trailers = request.trailers.isEmpty ? nil : HTTPHeaders(request.trailers.map { ($0.name, $0.value) })
        return await client.send(head, body: request.body, trailers: trailers)
    }

    func shutdown() async {
        try? await self.client.shutdown()
        for case .success(let client) in self.http2ByTarget.values { await client.shutdown() }
    }

    /// A short reason for the report: `connection refused`, not a type dump.
    static func describe(_ error: any Error) -> String {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return "TLS handshake failed (\(error))"
        }
        if let e = error as? HTTPClientError {
            switch e {
            case .remoteConnectionClosed: return "connection closed by the candidate"
            case .connectTimeout: return "connect timed out"
            default: return "\(e)"
            }
        }
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        if text.contains("reset") { return "connection reset by peer" }
        return text
    }
}
