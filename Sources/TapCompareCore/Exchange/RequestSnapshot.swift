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

    public init(
        method: HTTPMethod,
        uri: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders,
        body: ByteBuffer = ByteBuffer(),
        bodyLength: Int? = nil
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? body.readableBytes
    }

    /// Whether ``body`` holds fewer bytes than the client sent.
    public var isBodyTruncated: Bool { self.bodyLength > self.body.readableBytes }

    /// The path without its query string, as used for route matching.
    public var path: Substring {
        if let q = self.uri.firstIndex(of: "?") { return self.uri[..<q] }
        return self.uri[...]
    }
}
