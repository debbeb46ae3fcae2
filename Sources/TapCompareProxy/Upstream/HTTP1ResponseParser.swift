import NIOCore
import NIOHTTP1

/// Reads the HTTP/1.x responses of an upstream connection from its bytes: a pure state machine, no I/O.
///
/// Why not NIO's `HTTPResponseDecoder`: on a mirrored request the proxy decodes two responses (legacy's and the
/// candidate's), and NIO's decoder is a `ByteToMessageHandler` around the C parser's callbacks that also watches every
/// outbound part to learn the request's method. With NIO's request encoder that pair took 8.5% of the proxy's time at
/// sample rate 1.0, where ``UpstreamHTTP1Codec`` with this parser takes 6.2% (`perf`, issue 16). This parser takes the
/// method from ``requestSent(_:)`` and returns one part per call.
///
/// It decides the same way as NIO's decoder (a differential test feeds both the same bytes), and is as strict:
/// - the framing of RFC 9112 §6.3: no body after `HEAD` or `CONNECT`, or with status 1xx, 204 or 304; a chunked
///   body when `Transfer-Encoding` ends in `chunked`, else a body read until the connection closes; then
///   `Content-Length`; else a body read until the close;
/// - both `Content-Length` and `Transfer-Encoding`, two `Content-Length` fields, or one that is not a number, are
///   errors (a response that could be framed two ways is never guessed at);
/// - informational responses (1xx but 101) are dropped, as NIO's `.drop` strategy does: the request's response
///   is the one that follows;
/// - after a `101 Switching Protocols` response ends, nothing more is parsed: the bytes belong to the new protocol.
///
/// Errors are NIO's `HTTPParserError` cases (and `NIOHTTPDecoderError.unsolicitedResponse`), so whoever
/// classifies a failed response sees what it saw with NIO's decoder.
struct HTTP1ResponseParser {
    /// What one call to ``next(_:)`` found: a head, a body part, or the end with the trailers.
    typealias Part = HTTPClientResponsePart

    private enum State {
        /// Between responses: the next bytes start a status line.
        case idle
        /// A response with no body (or a `Content-Length` of 0) whose head was returned: its end comes next.
        case endPending(upgraded: Bool)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers
        /// The body is delimited by the connection closing.
        case untilClose
        /// After a `101`: what follows is not HTTP.
        case upgraded
        /// After an error, or after a body delimited by the close ended: nothing more is parsed.
        case done
    }

    /// The most bytes a head (status line and fields) or a trailer section may take; NIO's default
    /// (`NIOHTTPDecoderLimitConfiguration.maxHeaderListSize`).
    static let defaultMaxHeadBytes = 80 * 1024
    /// The most bytes of a chunk-size line (size and extensions).
    static let maxChunkLineBytes = 4 * 1024

    private var state = State.idle
    /// The methods of the requests sent whose responses have not begun, oldest first.
    private var methods = CircularBuffer<HTTPMethod>(initialCapacity: 2)
    /// How far the search for the end of a head or trailer section got in the bytes still unread, so a head
    /// arriving in many reads is scanned once.
    private var scanned = 0
    private let maxHeadBytes: Int

    init(maxHeadBytes: Int = Self.defaultMaxHeadBytes) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// A request with `method` was sent: the next response is its answer.
    mutating func requestSent(_ method: HTTPMethod) {
        self.methods.append(method)
    }

    /// The next part found in `buffer`, whose bytes it consumes; `nil` when `buffer` holds no whole part yet (or
    /// after a `101`, or an error). A body part is a slice of `buffer`, never a copy.
    ///
    /// - Throws: an `HTTPParserError` for a malformed response (after which nothing more is parsed), or
    ///   `NIOHTTPDecoderError.unsolicitedResponse` for bytes when no request is waiting for its answer.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Part? {
        do {
            return try self.step(&buffer)
        } catch {
            self.state = .done
            throw error
        }
    }

    /// The input ended (the connection closed): the end of a body delimited by the close, or `nil` when that is
    /// a clean end (between responses, after an upgrade). Call ``next(_:)`` until `nil` first.
    ///
    /// - Throws: `HTTPParserError.invalidEOFState` when a response was cut short.
    mutating func inputEnded(unread: Int) throws -> Part? {
        switch self.state {
        case .idle where unread == 0, .upgraded, .done:
            return nil
        case .untilClose:
            self.state = .done
            return .end(nil)
        default:
            self.state = .done
            throw HTTPParserError.invalidEOFState
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws -> Part? {
        while true {
            switch self.state {
            case .idle:
                guard buffer.readableBytes > 0 else { return nil }
                guard let method = self.methods.first else { throw NIOHTTPDecoderError.unsolicitedResponse }
                guard let headLength = try self.sectionLength(in: buffer) else { return nil }
                let head = try buffer.withUnsafeReadableBytes { try Self.parseHead(UnsafeRawBufferPointer(rebasing: $0[..<headLength])) }
                buffer.moveReaderIndex(forwardBy: headLength)
                let code = head.status.code
                if code >= 100 && code < 200 && code != 101 {
                    // Informational: dropped; the request's answer follows.
                    continue
                }
                self.methods.removeFirst()
                self.state = try Self.framing(of: head, method: method)
                return .head(head)
            case .endPending(let upgraded):
                self.state = upgraded ? .upgraded : .idle
                return .end(nil)
            case .fixedBody(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: length)!
                self.state = length == remaining ? .endPending(upgraded: false) : .fixedBody(remaining: remaining - length)
                return .body(slice)
            case .chunkSize:
                guard let size = try Self.chunkSize(from: &buffer) else { return nil }
                self.state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: length)!
                self.state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
                return .body(slice)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else {
                    if buffer.readableBytes == 1, buffer.readableBytesView.first != UInt8(ascii: "\r") { throw HTTPParserError.invalidConstant }
                    return nil
                }
                let view = buffer.readableBytesView
                guard view.first == UInt8(ascii: "\r") else { throw HTTPParserError.invalidConstant }
                guard view[view.startIndex + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
                buffer.moveReaderIndex(forwardBy: 2)
                self.state = .chunkSize
            case .trailers:
                guard buffer.readableBytes >= 2 else { return nil }
                let view = buffer.readableBytesView
                if view.first == UInt8(ascii: "\r") {
                    guard view[view.startIndex + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
                    buffer.moveReaderIndex(forwardBy: 2)
                    self.state = .idle
                    return .end(nil)
                }
                // A trailer section: field lines up to an empty line, parsed as a head's fields are.
                guard let length = try self.sectionLength(in: buffer) else { return nil }
                let fields = try buffer.withUnsafeReadableBytes { bytes in
                    var fields: [(String, String)] = []
                    var index = 0
                    try Self.parseFields(UnsafeRawBufferPointer(rebasing: bytes[..<length]), from: &index, into: &fields)
                    return fields
                }
                buffer.moveReaderIndex(forwardBy: length)
                self.state = .idle
                return .end(HTTPHeaders(fields))
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .upgraded, .done:
                return nil
            }
        }
    }

    // MARK: Framing

    /// How the body of a response with `head` to a `method` request is delimited (RFC 9112 §6.3).
    private static func framing(of head: HTTPResponseHead, method: HTTPMethod) throws -> State {
        let code = head.status.code
        if code == 101 { return .endPending(upgraded: true) }
        if method == .HEAD || method == .CONNECT || code == 204 || code == 304 {
            return .endPending(upgraded: false)
        }
        var contentLength: Int?
        var transferEncoding: Substring?
        var transferEncodings = 0
        for (name, value) in head.headers {
            if name.utf8.count == 14, HopByHopHeaders.equalsIgnoringASCIICase(name.utf8, "content-length") {
                guard contentLength == nil else { throw HTTPParserError.unexpectedContentLength }
                contentLength = try Self.contentLength(value)
            } else if name.utf8.count == 17, HopByHopHeaders.equalsIgnoringASCIICase(name.utf8, "transfer-encoding") {
                transferEncodings += 1
                transferEncoding = value[...]
            }
        }
        if transferEncodings > 0 {
            // Both framings at once is how responses are smuggled: refused, as llhttp refuses it.
            guard contentLength == nil else { throw HTTPParserError.unexpectedContentLength }
            // Only the last field's last coding decides (several fields form one list, RFC 9110 §5.3).
            let last = transferEncoding!.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            let coding = last.trimmingOWS()
            return coding.utf8.count == 7 && HopByHopHeaders.equalsIgnoringASCIICase(coding.utf8, "chunked") ? .chunkSize : .untilClose
        }
        if let contentLength {
            return contentLength == 0 ? .endPending(upgraded: false) : .fixedBody(remaining: contentLength)
        }
        return .untilClose
    }

    private static func contentLength(_ value: String) throws -> Int {
        let digits = value[...].trimmingOWS()
        guard !digits.isEmpty else { throw HTTPParserError.invalidContentLength }
        var length = 0
        for byte in digits.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw HTTPParserError.invalidContentLength }
            let (times10, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw HTTPParserError.invalidContentLength }
            length = sum
        }
        return length
    }

    // MARK: Heads and fields

    /// The length of the head (or trailer section) at the start of `buffer`, through its empty line; `nil` when
    /// it has not all arrived. Each line must end in CRLF.
    ///
    /// - Throws: `HTTPParserError.headerOverflow` past ``maxHeadBytes``.
    private mutating func sectionLength(in buffer: ByteBuffer) throws -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            // Resume where the last search stopped, less the three bytes an end split across reads may begin with.
            var i = max(0, self.scanned - 3)
            let count = bytes.count
            while i + 3 < count {
                if bytes[i + 3] == UInt8(ascii: "\n") {
                    if bytes[i] == UInt8(ascii: "\r") && bytes[i + 1] == UInt8(ascii: "\n") && bytes[i + 2] == UInt8(ascii: "\r") {
                        return i + 4
                    }
                    i += 1
                } else {
                    // No end of section ends before the next "\n" past i + 3.
                    i += bytes[i + 3] == UInt8(ascii: "\r") ? 1 : 4
                }
            }
            return nil
        }
        if let found {
            self.scanned = 0
            guard found <= self.maxHeadBytes else { throw HTTPParserError.headerOverflow }
            return found
        }
        self.scanned = buffer.readableBytes
        guard buffer.readableBytes <= self.maxHeadBytes else { throw HTTPParserError.headerOverflow }
        return nil
    }

    /// Parses a whole head: status line, fields, empty line (`bytes` ends with CRLF CRLF).
    static func parseHead(_ bytes: UnsafeRawBufferPointer) throws -> HTTPResponseHead {
        // "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason] CRLF
        guard bytes.count >= 14,
            bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/")
        else { throw HTTPParserError.invalidConstant }
        guard let major = Self.digit(bytes[5]), bytes[6] == UInt8(ascii: "."), let minor = Self.digit(bytes[7]) else {
            throw HTTPParserError.invalidVersion
        }
        guard major == 1 else { throw HTTPParserError.invalidVersion }
        guard bytes[8] == UInt8(ascii: " ") else { throw HTTPParserError.invalidVersion }
        guard let d1 = Self.digit(bytes[9]), let d2 = Self.digit(bytes[10]), let d3 = Self.digit(bytes[11]) else {
            throw HTTPParserError.invalidStatus
        }
        let code = d1 * 100 + d2 * 10 + d3
        var index = 12
        switch bytes[index] {
        case UInt8(ascii: " "):
            // The reason phrase: HTAB, SP, VCHAR, obs-text. It is not kept (the status's own is used).
            index += 1
            while bytes[index] != UInt8(ascii: "\r") {
                let byte = bytes[index]
                guard byte == 0x09 || byte >= 0x20 && byte != 0x7F else { throw HTTPParserError.invalidStatus }
                index += 1
            }
        case UInt8(ascii: "\r"):
            break
        default:
            throw HTTPParserError.invalidStatus
        }
        guard bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
        index += 2
        var fields: [(String, String)] = []
        fields.reserveCapacity(12)
        try Self.parseFields(bytes, from: &index, into: &fields)
        return HTTPResponseHead(
            version: HTTPVersion(major: major, minor: minor), status: HTTPResponseStatus(statusCode: code), headers: HTTPHeaders(fields)
        )
    }

    /// Parses field lines from `index` through the empty line that ends them (which `bytes` must hold).
    private static func parseFields(_ bytes: UnsafeRawBufferPointer, from index: inout Int, into fields: inout [(String, String)]) throws {
        while true {
            if bytes[index] == UInt8(ascii: "\r") {
                guard bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
                index += 2
                return
            }
            // name: one or more tchar, directly followed by ":" (no space before it: RFC 9112 §5.1).
            let nameStart = index
            while Self.isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart, bytes[index] == UInt8(ascii: ":") else { throw HTTPParserError.invalidHeaderToken }
            let nameEnd = index
            index += 1
            while bytes[index] == UInt8(ascii: " ") || bytes[index] == 0x09 { index += 1 }
            // The value as sent after its leading spaces, trailing ones kept (as llhttp keeps them: a field is
            // forwarded and compared as legacy wrote it).
            let valueStart = index
            while bytes[index] != UInt8(ascii: "\r") {
                let byte = bytes[index]
                guard byte == 0x09 || byte >= 0x20 && byte != 0x7F else { throw HTTPParserError.invalidHeaderToken }
                index += 1
            }
            let valueEnd = index
            guard bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
            index += 2
            fields.append((
                String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self),
                String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            ))
        }
    }

    /// Reads a chunk-size line (hex size, optional extensions, CRLF); `nil` when it has not all arrived.
    private static func chunkSize(from buffer: inout ByteBuffer) throws -> Int? {
        let result: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { bytes in
            var size = 0
            var index = 0
            while index < bytes.count, let value = Self.hexDigit(bytes[index]) {
                guard size <= (Int.max >> 4) else { throw HTTPParserError.invalidChunkSize }
                size = size << 4 | value
                index += 1
            }
            if index == bytes.count {
                guard index <= 16 else { throw HTTPParserError.invalidChunkSize }
                return nil
            }
            guard index > 0 else { throw HTTPParserError.invalidChunkSize }
            // Extensions (";" name["=" value]) are allowed and ignored; only their bytes are checked. Nothing else
            // may follow the size (llhttp refuses a space there too).
            if bytes[index] == UInt8(ascii: ";") {
                while index < bytes.count && bytes[index] != UInt8(ascii: "\r") {
                    let byte = bytes[index]
                    guard byte == 0x09 || byte >= 0x20 && byte != 0x7F else { throw HTTPParserError.invalidChunkSize }
                    index += 1
                }
                if index == bytes.count {
                    guard index <= Self.maxChunkLineBytes else { throw HTTPParserError.invalidChunkSize }
                    return nil
                }
            }
            guard bytes[index] == UInt8(ascii: "\r") else { throw HTTPParserError.invalidChunkSize }
            guard index + 1 < bytes.count else { return nil }
            guard bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
            return (size, index + 2)
        }
        guard let result else { return nil }
        buffer.moveReaderIndex(forwardBy: result.length)
        return result.size
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }

    /// tchar (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

extension Substring {
    /// Without the spaces and tabs around it (OWS, RFC 9110 §5.6.3).
    fileprivate func trimmingOWS() -> Substring {
        let utf8 = self.utf8
        guard let first = utf8.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != 0x09 }),
            let last = utf8.lastIndex(where: { $0 != UInt8(ascii: " ") && $0 != 0x09 })
        else { return self[self.endIndex...] }
        return self[first...last]
    }
}
