import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareMirroring

/// The copies the proxy keeps of a sampled exchange while it streams through: the client's request body for the
/// candidate (up to `mirror.max_body_bytes`) and legacy's response for the comparison (up to
/// `mirror.max_response_body_bytes`).
///
/// Bounded whatever the bodies' sizes: past its cap the request copy is dropped at once and legacy's copy stops
/// growing; both lengths are still counted, so the exchange is recorded as too large rather than compared on a
/// truncated body.
struct MirrorCapture {
    private var requestBudget: MirrorBodyBudget
    private(set) var requestBody = ByteBuffer()
    private let maxResponseBodyBytes: Int
    /// Legacy's final head as parts: a `HTTPResponseHead` is a boxed value, one more allocation per request.
    private var responseStatus: HTTPResponseStatus?
    private var responseVersion = HTTPVersion.http1_1
    private var responseHeaders = HTTPHeaders()
    private var responseBody = ByteBuffer()
    private(set) var responseBodyLength = 0
    /// Legacy's trailers, once its response ended.
    private var responseTrailers: [(name: String, value: String)] = []

    init(maxRequestBodyBytes: Int, maxResponseBodyBytes: Int) {
        self.requestBudget = MirrorBodyBudget(maxBytes: maxRequestBodyBytes)
        self.maxResponseBodyBytes = maxResponseBodyBytes
    }

    /// Whether the request body seen so far is within its cap (the candidate may get it).
    var requestBodyFits: Bool { self.requestBudget.fits }

    /// Whether legacy's body seen so far is within the comparison cap.
    var responseWithinCap: Bool { self.responseBodyLength <= self.maxResponseBodyBytes }

    mutating func requestBodyPart(_ buffer: ByteBuffer) {
        if self.requestBudget.admit(buffer.readableBytes) {
            var copy = buffer
            self.requestBody.writeBuffer(&copy)
        } else if self.requestBody.capacity > 0 {
            // Over the cap: drop the copy now so memory stays bounded; recorded as body_too_large at the end.
            self.requestBody = ByteBuffer()
        }
    }

    /// Legacy's final head, its hop-by-hop headers already removed.
    mutating func responseHead(status: HTTPResponseStatus, version: HTTPVersion, headers: HTTPHeaders) {
        self.responseStatus = status
        self.responseVersion = version
        self.responseHeaders = headers
    }

    mutating func responseBodyPart(_ buffer: ByteBuffer) {
        self.responseBodyLength += buffer.readableBytes
        let room = self.maxResponseBodyBytes - self.responseBody.readableBytes
        if room > 0 {
            let slice = buffer.readableBytes > room ? buffer.getSlice(at: buffer.readerIndex, length: room)! : buffer
            Self.keep(slice, in: &self.responseBody)
        }
    }

    /// Appends `part` to a kept body. The first part is kept as it is, a view of the bytes read (no copy): most
    /// bodies arrive in one read. A later part copies them into storage of the body's own. So does a first part
    /// that fills less than half of the read buffer it is a view of: a queued exchange must hold about its
    /// bodies' bytes, not whole receive buffers (memory stays bounded by the body caps).
    static func keep(_ part: ByteBuffer, in body: inout ByteBuffer) {
        if body.readableBytes == 0 && part.readableBytes * 2 >= part.storageCapacity {
            body = part
        } else {
            body.writeImmutableBuffer(part)
        }
    }

    /// Legacy's trailers (HTTP/2 trailers, or chunked trailers), kept whatever the client is sent.
    mutating func responseTrailers(_ trailers: HTTPHeaders) {
        self.responseTrailers = ResponseTrailers.fields(trailers)
    }

    /// Legacy's response as the comparison sees it, once its head arrived.
    var legacyResponse: ResponseSnapshot? {
        guard let status = self.responseStatus else { return nil }
        return ResponseSnapshot(
            status: status, version: self.responseVersion, headers: self.responseHeaders, body: self.responseBody,
            bodyLength: self.responseBodyLength,
            trailers: self.responseTrailers
        )
    }
}
