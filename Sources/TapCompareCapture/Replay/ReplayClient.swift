import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TapCompareCore
import TapCompareMirroring

/// Sends captured requests to an upstream over a bounded, keep-alive connection pool.
///
/// AsyncHTTPClient's defaults are wrong for comparing upstreams: it would follow redirects (so a 301 would be
/// compared as the page it points to) and decompress bodies (so gzip bytes would differ from the capture).
/// Both are turned off, and every timeout is explicit.
final class ReplayClient: Sendable {
    private let client: HTTPClient
    private let timeout: Duration
    private let maxResponseBytes: Int
    /// Each `https` target's TLS configuration, read once (AsyncHTTPClient keeps one SSL context per
    /// configuration); a target whose CA file could not be read maps to the reason, and each of its calls fails
    /// with it instead of silently falling back to other trust roots.
    private let tlsByTarget: [ReplayTarget: Result<TLSConfiguration, TLSFileError>]

    /// - Parameter connectionsPerHost: the pool's size for each host. Sized so no call ever waits for a connection:
    ///   that wait counts against the connect timeout, so a short pool turns a busy machine into "connect timed out".
    init(connectionsPerHost: Int, timeout: Duration, connectTimeout: Duration, maxResponseBytes: Int, targets: [ReplayTarget] = []) {
        var tlsByTarget: [ReplayTarget: Result<TLSConfiguration, TLSFileError>] = [:]
        for target in targets where target.scheme == "https" {
            tlsByTarget[target] = Result { () throws(TLSFileError) in try target.tls.makeClientConfiguration() }
        }
        self.tlsByTarget = tlsByTarget
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

    /// Sends the request; the result is never thrown: failures and timeouts are values, as in `serve`.
    func send(_ request: RequestSnapshot, to target: ReplayTarget, extraHeaders: [(name: String, value: String)]) async -> CandidateResult {
        var outgoing = HTTPClientRequest(url: target.url(for: request.uri))
        outgoing.method = request.method
        switch self.tlsByTarget[target] {
        case .success(let tls): outgoing.tlsConfiguration = tls
        case .failure(let error): return .failed(reason: "TLS: \(error.description)", latency: .zero)
        case nil: break
        }
        var headers = HTTPHeaders()
        let overridden = Set(extraHeaders.map { $0.name.lowercased() })
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if Self.droppedHeaders.contains(lower) || overridden.contains(lower) { continue }
            headers.add(name: name, value: value)
        }
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        outgoing.headers = headers
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

    func shutdown() async {
        try? await self.client.shutdown()
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
