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

    public init(
        status: HTTPResponseStatus,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders,
        body: ByteBuffer = ByteBuffer(),
        bodyLength: Int? = nil
    ) {
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? body.readableBytes
    }

    /// Whether ``body`` holds fewer bytes than the upstream sent.
    public var isBodyTruncated: Bool { self.bodyLength > self.body.readableBytes }
}
