/// Which framing headers a request head names, read from its raw bytes: whether it carries both
/// `Content-Length` and `Transfer-Encoding`, the request-smuggling pattern (RFC 9112 §6.1 lets a server reject
/// it, and the proxy does).
///
/// Needed because the HTTP decoder reports that conflict as a generic error (NIO maps llhttp's
/// transfer-encoding error to `HTTPParserError.unknown`, and a `Content-Length` after `Transfer-Encoding` to
/// `.unexpectedContentLength`, which other framing faults share). A pure state machine over the bytes of one head
/// (the request line is skipped; the scan stops at the blank line); ``HeaderTimeoutHandler``, which already sees
/// every head's raw bytes in front of the decoder, feeds it.
struct HeadFramingScan {
    private(set) var sawContentLength = false
    private(set) var sawTransferEncoding = false
    private var inRequestLine = true
    private var lineLength = 0
    private var inName = true
    private var name: [UInt8] = []
    private var finished = false

    /// The longest header name worth keeping: `transfer-encoding`.
    private static let maxName = 17
    private static let contentLength = Array("content-length".utf8)
    private static let transferEncoding = Array("transfer-encoding".utf8)

    /// Whether the head names both framings.
    var hasConflictingFraming: Bool { self.sawContentLength && self.sawTransferEncoding }

    /// Starts over for the next head.
    mutating func reset() {
        self = HeadFramingScan()
    }

    /// Reads the next bytes of the head; bytes after its blank line are ignored.
    mutating func consume(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if self.finished { return }
            switch byte {
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\n"):
                if self.inRequestLine {
                    // Empty lines before the request line are tolerated by parsers.
                    if self.lineLength > 0 { self.inRequestLine = false }
                } else if self.lineLength == 0 {
                    self.finished = true
                    return
                }
                self.lineLength = 0
                self.inName = true
                self.name.removeAll(keepingCapacity: true)
            default:
                self.lineLength += 1
                guard !self.inRequestLine, self.inName else { continue }
                if byte == UInt8(ascii: ":") {
                    self.inName = false
                    if self.name == Self.contentLength { self.sawContentLength = true }
                    if self.name == Self.transferEncoding { self.sawTransferEncoding = true }
                } else if self.name.count <= Self.maxName {
                    // ASCII lower-casing: header names are tokens.
                    self.name.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                }
            }
        }
    }
}
