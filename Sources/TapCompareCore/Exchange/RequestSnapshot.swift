import NIOCore
import NIOHTTP1

/// The client's request as the proxy saw it, kept for mirroring, comparison and capture.
///
/// The body is held only up to a cap (`mirror.max_body_bytes` on the proxy); ``bodyLength`` is the full length
/// that went to legacy, so a consumer can tell a complete body from a truncated one.
public struct RequestSnapshot: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target exactly as received: path and query, never rewritten.
    public var uri: String
    public var version: HTTPVersion
    /// End-to-end headers as the client sent them (hop-by-hop headers already removed).
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// The number of body bytes the client sent, which exceeds `body.readableBytes` when the copy was capped.
    public var bodyLength: Int
    /// Trailing fields the client sent after the body (HTTP/2 trailers, or HTTP/1.1 chunked trailers), in order.
    /// Empty when it sent none, as nearly every client (gRPC's included) does.
    public var trailers: [(name: String, value: String)]

    public init(
        method: HTTPMethod,
        uri: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders,
        body: ByteBuffer = ByteBuffer(),
        bodyLength: Int? = nil,
        trailers: [(name: String, value: String)] = []
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? body.readableBytes
        self.trailers = trailers
    }

    /// Written by hand: tuples are not `Equatable`, so the trailers are compared field by field.
    public static func == (lhs: RequestSnapshot, rhs: RequestSnapshot) -> Bool {
        lhs.method == rhs.method && lhs.uri == rhs.uri && lhs.version == rhs.version && lhs.headers == rhs.headers
            && lhs.body == rhs.body && lhs.bodyLength == rhs.bodyLength
            && lhs.trailers.elementsEqual(rhs.trailers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Whether ``body`` holds fewer bytes than the client sent.
    public var isBodyTruncated: Bool { self.bodyLength > self.body.readableBytes }

    /// The path without its query string, as used for route matching.
    public var path: Substring { Self.path(of: self.uri) }

    /// The path of a request target: everything before `?`. Searched as bytes, not characters (no grapheme
    /// breaking): it runs for every request, and again for every comparison.
    public static func path(of uri: String) -> Substring {
        if let q = uri.utf8.firstIndex(of: UInt8(ascii: "?")) { return uri[..<q] }
        return uri[...]
    }
}
