import NIOHTTP1

/// What the proxy does with an upstream's trailers (HTTP/2 trailers — gRPC's `grpc-status` and `grpc-message` live
/// there — or HTTP/1.1 chunked trailers).
enum ResponseTrailers {
    /// The trailers as the comparison records them (``TapCompareCore/ResponseSnapshot/trailers``), in order.
    static func fields(_ trailers: HTTPHeaders) -> [(name: String, value: String)] {
        trailers.map { (name: $0.name, value: $0.value) }
    }

    /// Whether an HTTP/1.1 request accepts trailers: it sent `TE: trailers` (RFC 9110 §10.1.4). An HTTP/2 client
    /// always can (trailers are a HEADERS frame there).
    static func accepted(by head: HTTPRequestHead) -> Bool {
        if head.version.major >= 2 { return true }
        // Most requests have no TE: one scan, no list built.
        guard head.headers.contains(name: "te") else { return false }
        return head.headers[canonicalForm: "te"].contains { $0.lowercased() == "trailers" }
    }

    /// Whether trailers can follow a response with these headers to an HTTP/1.1 client: only a chunked body has
    /// room for them, and a body framed by `Content-Length` is sent with it.
    static func fitInHTTP1(responseHeaders: HTTPHeaders) -> Bool {
        !responseHeaders.contains(name: "content-length")
    }
}
