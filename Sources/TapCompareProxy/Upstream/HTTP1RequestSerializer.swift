import NIOCore
import NIOHTTP1

/// Writes HTTP/1.1 requests to an upstream: the bytes NIO's `HTTPRequestEncoder` writes, with its framing rules,
/// for ``UpstreamHTTP1Codec``.
enum HTTP1RequestSerializer {
    /// Makes `head`'s framing headers agree with its method, as NIO's encoder does (`automaticallySetFramingHeaders`),
    /// and tells whether its body goes chunked.
    ///
    /// - `TRACE` carries no body: `Content-Length` and `Transfer-Encoding` are removed.
    /// - `POST`, `PUT`, `PATCH`: `Content-Length` wins over `Transfer-Encoding`; with neither, HTTP/1.1 goes chunked.
    /// - Any other method: `Content-Length` wins; otherwise chunked only when the head already says so.
    ///
    /// The proxy frames its upstream heads itself (``RequestBodyFraming``), so this changes nothing on its own heads;
    /// it is kept so that no head can reach the wire framed in a way its body does not follow.
    static func frame(_ head: inout HTTPRequestHead) -> Bool {
        // One pass for both fields: this runs for every request to an upstream, twice per mirrored request.
        var hasContentLength = false
        var firstTransferEncoding: String?
        for (name, value) in head.headers {
            let count = name.utf8.count
            if count == 14, HopByHopHeaders.equalsIgnoringASCIICase(name.utf8, "content-length") {
                hasContentLength = true
            } else if count == 17, HopByHopHeaders.equalsIgnoringASCIICase(name.utf8, "transfer-encoding") {
                if firstTransferEncoding == nil { firstTransferEncoding = value }
            }
        }
        switch head.method {
        case .TRACE:
            if hasContentLength { head.headers.remove(name: "content-length") }
            if firstTransferEncoding != nil { head.headers.remove(name: "transfer-encoding") }
            return false
        case _ where hasContentLength:
            if firstTransferEncoding != nil { head.headers.remove(name: "transfer-encoding") }
            return false
        case _ where !(head.version.major == 1 && head.version.minor >= 1):
            return false
        case .POST, .PUT, .PATCH:
            head.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            return true
        default:
            return firstTransferEncoding == "chunked"
        }
    }

    /// Appends the request line, the fields and the empty line.
    static func write(_ head: HTTPRequestHead, into buffer: inout ByteBuffer) {
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        switch (head.version.major, head.version.minor) {
        case (1, 1): buffer.writeStaticString(" HTTP/1.1\r\n")
        case (1, 0): buffer.writeStaticString(" HTTP/1.0\r\n")
        default: buffer.writeString(" HTTP/\(head.version.major).\(head.version.minor)\r\n")
        }
        Self.write(fields: head.headers, into: &buffer)
    }

    /// Appends `name: value` lines and the empty line that ends them.
    static func write(fields: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in fields {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// The line before a chunk of `length` bytes.
    static func writeChunkHeader(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
    }

    /// The last chunk and the trailer section.
    static func writeLastChunk(trailers: HTTPHeaders?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n")
        if let trailers {
            Self.write(fields: trailers, into: &buffer)
        } else {
            buffer.writeStaticString("\r\n")
        }
    }
}
