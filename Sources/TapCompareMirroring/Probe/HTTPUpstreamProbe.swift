import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import TapCompareCore

/// An ``UpstreamProbe`` over AsyncHTTPClient, for the few extra reads classification makes (never on the
/// request path, so the async client's convenience outweighs the data plane's hand-written pool).
///
/// Configured like a proxy must be: no redirects followed, no decompression, every timeout explicit, and the
/// response body capped.
public final class HTTPUpstreamProbe: UpstreamProbe {
    public struct Configuration: Sendable {
        /// Where the reads go.
        public var upstream: UpstreamURL
        /// How an `https://` upstream's certificate is checked: the same setting the proxy uses for that
        /// upstream. Default: against the system trust store.
        public var tls: UpstreamTLS
        /// Whether the read carries the client's `Host` or the upstream's own. Default `false` (the upstream's).
        public var preserveHost: Bool
        /// The shadow header set on every read, with the read's purpose as value. Default `X-Tap-Compare`.
        public var shadowHeaderName: String
        /// Connect timeout. Default 1 s.
        public var connectTimeout: TimeAmount
        /// The whole read. Default 5 s.
        public var timeout: TimeAmount
        /// Largest body kept; a larger response fails the read. Default 8 MiB.
        public var maxResponseBodyBytes: Int
        /// Pooled connections kept per event loop. Default 8.
        public var maxConnectionsPerHost: Int

        public init(
            upstream: UpstreamURL,
            preserveHost: Bool = false,
            shadowHeaderName: String = "X-Tap-Compare",
            connectTimeout: TimeAmount = .seconds(1),
            timeout: TimeAmount = .seconds(5),
            maxResponseBodyBytes: Int = 8 << 20,
            maxConnectionsPerHost: Int = 8,
            tls: UpstreamTLS = UpstreamTLS()
        ) {
            self.upstream = upstream
            self.tls = tls
            self.preserveHost = preserveHost
            self.shadowHeaderName = shadowHeaderName
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxResponseBodyBytes = maxResponseBodyBytes
            self.maxConnectionsPerHost = maxConnectionsPerHost
        }
    }

    public let configuration: Configuration
    private let client: HTTPClient
    /// `scheme://host[:port]`, computed once.
    private let origin: String

    /// - Throws: ``TLSFileError`` when the upstream is `https://` and its ``UpstreamTLS/caFile`` cannot be used.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws(TLSFileError) {
        self.configuration = configuration
        self.origin = configuration.upstream.origin
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: configuration.connectTimeout, read: configuration.timeout),
            decompression: .disabled
        )
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnectionsPerHost)
        clientConfiguration.httpVersion = .http1Only
        if configuration.upstream.usesTLS {
            // Read once here; AsyncHTTPClient keeps one SSL context for it.
            clientConfiguration.tlsConfiguration = try configuration.tls.makeClientConfiguration()
        }
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: clientConfiguration)
    }

    /// Closes the connection pool. Call once, when no read is running.
    public func shutdown() async throws {
        try await self.client.shutdown()
    }

    public func fetch(_ request: RequestSnapshot, purpose: String) async throws -> (response: ResponseSnapshot, latency: Duration) {
        var outgoing = HTTPClientRequest(url: self.origin + self.configuration.upstream.target(for: request.uri))
        outgoing.method = request.method
        // The snapshot's headers are end-to-end already: the proxy removed hop-by-hop headers when it took it.
        for (name, value) in request.headers {
            let lowered = name.lowercased()
            if lowered == "host" || lowered == "content-length" { continue }
            outgoing.headers.add(name: name, value: value)
        }
        if self.configuration.preserveHost, let host = request.headers.first(name: "host") {
            outgoing.headers.replaceOrAdd(name: "Host", value: host)
        }
        outgoing.headers.replaceOrAdd(name: self.configuration.shadowHeaderName, value: purpose)
        if request.body.readableBytes > 0 {
            outgoing.body = .bytes(request.body)
        }
        let start = ContinuousClock.now
        let response = try await self.client.execute(outgoing, timeout: self.configuration.timeout)
        let body = try await response.body.collect(upTo: self.configuration.maxResponseBodyBytes)
        let latency = ContinuousClock.now - start
        return (ResponseSnapshot(status: response.status, version: response.version, headers: response.headers, body: body), latency)
    }
}
