import NIOCore
import NIOHTTP1

/// One upstream's complete response, as received (still content-encoded: decoding is the comparison stage's job).
public struct ResponseSnapshot: Sendable, Equatable {
    public var status: HTTPResponseStatus
    public var version: HTTPVersion
    /// End-to-end headers, repeated headers kept in order.
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// The full body length received, which exceeds `body.readableBytes` when the copy was capped.
    public var bodyLength: Int
    /// HTTP/2 trailers (gRPC's `grpc-status`, `grpc-message` and trailing metadata), in order. Empty for HTTP/1.1.
    public var trailers: [(name: String, value: String)]

    public init(
        status: HTTPResponseStatus,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders,
        body: ByteBuffer = ByteBuffer(),
        bodyLength: Int? = nil,
        trailers: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? body.readableBytes
        self.trailers = trailers
    }

    /// Field by field; trailers in order (tuples are not `Equatable`, so this is written out).
    public static func == (a: ResponseSnapshot, b: ResponseSnapshot) -> Bool {
        a.status == b.status && a.version == b.version && a.headers == b.headers && a.body == b.body
            && a.bodyLength == b.bodyLength && a.trailers.elementsEqual(b.trailers, by: { $0.name == $1.name && $0.value == $1.value })
    }

    /// Whether ``body`` holds fewer bytes than the upstream sent.
    public var isBodyTruncated: Bool { self.bodyLength > self.body.readableBytes }
}
