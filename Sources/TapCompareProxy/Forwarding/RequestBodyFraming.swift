import NIOHTTP1

/// How legacy's head frames a client's request body, so that body bytes never reach an HTTP/1.1 upstream unframed.
///
/// NIO's `HTTPRequestEncoder` frames a body only when the head says how: for `TRACE` it removes both
/// `Content-Length` and `Transfer-Encoding`, and for `GET`, `HEAD`, `DELETE`, `OPTIONS` and other methods it adds no
/// framing when the head has none (NIOHTTP2's HTTP/2-to-HTTP/1 codec adds none either). Body bytes written after
/// such a head are raw on the pooled connection: legacy reads them as a next request, and its answer goes to whoever
/// leases the connection next (request smuggling). So every request whose body has no `Content-Length` goes chunked,
/// and a `TRACE` with content is refused (``ClientRefusal/bodyNotAllowed``).
enum RequestBodyFraming: Equatable {
    /// No body follows: legacy's head gets no framing header (a bodiless `GET` stays as it was sent).
    case noBody
    /// The client's `Content-Length`, kept as it is.
    case contentLength
    /// `transfer-encoding: chunked`, added by the proxy.
    case chunked
    /// An HTTP/2 client sent no `content-length` for a method that need not carry a body: only the stream's first
    /// DATA (a body: chunked) or its END_STREAM (none) tells. Legacy's head is held until then.
    case pending

    /// The framing a client's request head implies.
    ///
    /// An HTTP/1.x request with neither `Content-Length` nor `Transfer-Encoding` has no body (RFC 9112 §6.3), and
    /// the decoder delivers none. An HTTP/2 request's body is framed by DATA frames, so its head may say nothing:
    /// `POST`, `PUT` and `PATCH` are chunked at once (as NIO's encoder would: their body, or its absence, is
    /// expected, and a streaming gRPC call's head must not wait for its first message); other methods wait.
    init(head: HTTPRequestHead) {
        if head.headers.contains(name: "content-length") {
            self = .contentLength
        } else if HopByHopHeaders.isChunked(head.headers) {
            self = .chunked
        } else if head.version.major < 2 {
            self = .noBody
        } else if HTTPMethod.hasBody(head.method) {
            self = .chunked
        } else {
            self = .pending
        }
    }

    /// Whether a request with `method` must not carry content: `TRACE` (RFC 9110 §9.3.8), whose framing NIO's
    /// encoder removes whatever the head says, so its body could only reach legacy unframed.
    static func forbidsContent(_ method: HTTPMethod) -> Bool {
        method == .TRACE
    }

    /// Whether `head` announces content: a chunked body or a `Content-Length` other than 0.
    static func announcesContent(_ head: HTTPRequestHead) -> Bool {
        if HopByHopHeaders.isChunked(head.headers) { return true }
        guard let length = head.headers.first(name: "content-length") else { return false }
        return Int(length) != 0
    }
}
