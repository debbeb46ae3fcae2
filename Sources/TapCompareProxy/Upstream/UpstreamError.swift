/// Why an upstream call failed. The ``description`` is safe to show to users and to store.
public struct UpstreamError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case connectFailed
        case connectTimeout
        case readTimeout
        case writeTimeout
        case closedEarly
        case invalidResponse
        case tlsHandshake
        case cancelled
        /// HTTP/2: the upstream reset the stream (RST_STREAM) or refused it in a GOAWAY.
        case streamReset
        /// HTTP/2: the upstream broke the protocol (bad frames, a connection error).
        case http2Protocol
    }

    let code: Code
    /// Lower-level detail for logs (`debugDescription`), never sent to clients.
    let underlying: String?

    init(_ code: Code, underlying: (any Error)? = nil) {
        self.code = code
        self.underlying = underlying.map { String(describing: $0) }
    }

    public static let connectFailed = UpstreamError(.connectFailed)
    public static let connectTimeout = UpstreamError(.connectTimeout)
    public static let readTimeout = UpstreamError(.readTimeout)
    public static let writeTimeout = UpstreamError(.writeTimeout)
    public static let closedEarly = UpstreamError(.closedEarly)
    public static let invalidResponse = UpstreamError(.invalidResponse)
    public static let tlsHandshake = UpstreamError(.tlsHandshake)
    public static let cancelled = UpstreamError(.cancelled)
    public static let streamReset = UpstreamError(.streamReset)
    public static let http2Protocol = UpstreamError(.http2Protocol)

    /// Whether the upstream was too slow (the proxy answers 504) rather than broken (502).
    public var isTimeout: Bool {
        switch self.code {
        case .connectTimeout, .readTimeout, .writeTimeout: true
        default: false
        }
    }

    public var description: String {
        switch self.code {
        case .connectFailed: "connection refused or unreachable"
        case .connectTimeout: "connect timeout"
        case .readTimeout: "read timeout"
        case .writeTimeout: "write timeout"
        case .closedEarly: "connection closed before the response was complete"
        case .invalidResponse: "invalid HTTP response"
        case .tlsHandshake: "TLS handshake failed"
        case .cancelled: "cancelled"
        case .streamReset: "HTTP/2 stream reset by the upstream"
        case .http2Protocol: "HTTP/2 protocol error"
        }
    }

    /// A short, fixed label for metrics (`tapcompare_upstream_errors_total{reason}`), e.g. `tls_handshake`.
    public var reason: String { self.code.reason }

    public var debugDescription: String {
        guard let underlying else { return self.description }
        return "\(self.description) (\(underlying))"
    }

    public static func == (lhs: UpstreamError, rhs: UpstreamError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}

extension UpstreamError.Code {
    /// Every code, so metric handles can be created up front.
    static let all: [UpstreamError.Code] = [
        .connectFailed, .connectTimeout, .readTimeout, .writeTimeout, .closedEarly, .invalidResponse, .tlsHandshake,
        .cancelled, .streamReset, .http2Protocol,
    ]

    var reason: String {
        switch self {
        case .connectFailed: "connect_failed"
        case .connectTimeout: "connect_timeout"
        case .readTimeout: "read_timeout"
        case .writeTimeout: "write_timeout"
        case .closedEarly: "closed_early"
        case .invalidResponse: "invalid_response"
        case .tlsHandshake: "tls_handshake"
        case .cancelled: "cancelled"
        case .streamReset: "stream_reset"
        case .http2Protocol: "http2_protocol"
        }
    }
}
