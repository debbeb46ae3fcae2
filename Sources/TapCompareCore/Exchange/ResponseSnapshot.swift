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
    /// Trailing fields, in the order received: HTTP/2 trailers (gRPC's `grpc-status`, `grpc-message` and trailing
    /// metadata live here) or HTTP/1.1 chunked trailers. Empty when the upstream sent none.
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

    /// Written by hand: tuples are not `Equatable`, so the trailers are compared field by field.
    public static func == (lhs: ResponseSnapshot, rhs: ResponseSnapshot) -> Bool {
        lhs.status == rhs.status && lhs.version == rhs.version && lhs.headers == rhs.headers && lhs.body == rhs.body
            && lhs.bodyLength == rhs.bodyLength
            && lhs.trailers.elementsEqual(rhs.trailers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Whether ``body`` holds fewer bytes than the upstream sent.
    public var isBodyTruncated: Bool { self.bodyLength > self.body.readableBytes }
}
