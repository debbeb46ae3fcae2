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
    /// Bytes of the current line's header name so far, and whether they are (case-insensitively) the start of
    /// each framing header's name: the name is matched as it arrives, never stored, so a head costs no allocation.
    private var nameLength = 0
    private var mayBeContentLength = true
    private var mayBeTransferEncoding = true
    private var finished = false

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
                self.nameLength = 0
                self.mayBeContentLength = true
                self.mayBeTransferEncoding = true
            default:
                self.lineLength += 1
                guard !self.inRequestLine, self.inName else { continue }
                if byte == UInt8(ascii: ":") {
                    self.inName = false
                    if self.mayBeContentLength && self.nameLength == Self.contentLength.count { self.sawContentLength = true }
                    if self.mayBeTransferEncoding && self.nameLength == Self.transferEncoding.count { self.sawTransferEncoding = true }
                } else {
                    // ASCII lower-casing: header names are tokens.
                    let lower = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                    let n = self.nameLength
                    self.mayBeContentLength = self.mayBeContentLength && n < Self.contentLength.count && Self.contentLength[n] == lower
                    self.mayBeTransferEncoding =
                        self.mayBeTransferEncoding && n < Self.transferEncoding.count && Self.transferEncoding[n] == lower
                    self.nameLength = n &+ 1
                }
            }
        }
    }
}
