import NIOCore

/// Reads one ``RESPValue`` off the front of a buffer, without I/O: the decoder feeds it what the socket gave.
///
/// Incremental: when the buffer does not yet hold a whole value, ``parse(_:)`` returns `nil` and leaves the buffer
/// as it was, so the next read can complete it. Bounded: a server (or something pretending to be one) cannot make
/// the proxy allocate more than ``Limits`` allow, whatever lengths it announces.
public struct RESPParser: Sendable {
    /// What one reply may hold. Defaults suit a store check: one record, one cached rendering, one stream range.
    public struct Limits: Sendable, Hashable {
        /// Largest bulk or verbatim string. Default 8 MiB.
        public var maxBulkBytes: Int = 8 << 20
        /// Most elements in one array, set, map or push (pairs count twice). Default 100,000.
        public var maxElements: Int = 100_000
        /// Deepest nesting. Default 32 (a stream range is 4 deep).
        public var maxDepth: Int = 32
        /// Longest simple line (simple strings, errors, numbers). Default 64 KiB.
        public var maxLineBytes: Int = 64 << 10
        /// Largest whole reply, counted as it arrives: the bounds above hold per string and per collection, and
        /// 100,000 strings of 8 MiB would still be 800 GB. A store check reads one record; a reply is held whole
        /// until it is complete. Default 32 MiB.
        public var maxReplyBytes: Int = 32 << 20

        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// One whole value, or `nil` (buffer untouched) when more bytes are needed.
    /// - Throws: ``StoreClientError`` for bytes that are not RESP or that exceed ``limits``.
    public func parse(_ buffer: inout ByteBuffer) throws(StoreClientError) -> RESPValue? {
        var copy = buffer
        guard let value = try self.value(&copy, depth: 0) else {
            // Incomplete: what is buffered so far is already part of this one reply.
            guard buffer.readableBytes <= self.limits.maxReplyBytes else { throw self.replyTooLarge(buffer.readableBytes) }
            return nil
        }
        let consumed = buffer.readableBytes - copy.readableBytes
        guard consumed <= self.limits.maxReplyBytes else { throw self.replyTooLarge(consumed) }
        buffer = copy
        return value
    }

    private func replyTooLarge(_ bytes: Int) -> StoreClientError {
        .limitExceeded("a reply of more than \(bytes) bytes is over the \(self.limits.maxReplyBytes)-byte limit")
    }

    private func value(_ buffer: inout ByteBuffer, depth: Int) throws(StoreClientError) -> RESPValue? {
        guard depth <= self.limits.maxDepth else { throw .protocolViolation("reply nested deeper than \(self.limits.maxDepth)") }
        guard let marker = buffer.readInteger(as: UInt8.self) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return try self.line(&buffer).map { .simpleString($0) }
        case UInt8(ascii: "-"):
            return try self.line(&buffer).map { .error($0) }
        case UInt8(ascii: ":"):
            guard let text = try self.line(&buffer) else { return nil }
            guard let n = Int64(text) else { throw .protocolViolation("integer reply '\(text.prefix(40))' is not a number") }
            return .integer(n)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            guard let length = try self.length(&buffer) else { return nil }
            if length < 0 { return .null }
            guard length <= self.limits.maxBulkBytes else {
                throw .limitExceeded("a \(length)-byte string is over the \(self.limits.maxBulkBytes)-byte limit")
            }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readSlice(length: length) else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .protocolViolation("string not followed by CRLF") }
            switch marker {
            case UInt8(ascii: "!"):
                return .error(String(decoding: bytes.readableBytesView, as: UTF8.self))
            case UInt8(ascii: "="):
                guard bytes.readableBytes >= 4, bytes.getInteger(at: bytes.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":") else {
                    throw .protocolViolation("verbatim string without its 3-letter format")
                }
                let format = String(decoding: bytes.readableBytesView.prefix(3), as: UTF8.self)
                return .verbatimString(format: format, text: bytes.getSlice(at: bytes.readerIndex + 4, length: bytes.readableBytes - 4)!)
            default:
                return .bulkString(bytes)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            guard let count = try self.length(&buffer) else { return nil }
            if count < 0 { return .null }
            // A map's count is of pairs. Compared before doubling: `%4611686018427387904` doubled wraps to
            // `Int.min`, which passed the limit and trapped the process in the loop below.
            let pairs = marker == UInt8(ascii: "%")
            guard count <= (pairs ? self.limits.maxElements / 2 : self.limits.maxElements) else {
                throw .limitExceeded("a reply of \(count) \(pairs ? "pairs" : "elements") is over the \(self.limits.maxElements)-element limit")
            }
            let elements = pairs ? count * 2 : count
            var values: [RESPValue] = []
            values.reserveCapacity(min(elements, 1_024))
            for _ in 0..<elements {
                guard let element = try self.value(&buffer, depth: depth + 1) else { return nil }
                values.append(element)
            }
            switch marker {
            case UInt8(ascii: "~"): return .set(values)
            case UInt8(ascii: ">"): return .push(values)
            case UInt8(ascii: "%"):
                return .map(stride(from: 0, to: values.count, by: 2).map { (key: values[$0], value: values[$0 + 1]) })
            default: return .array(values)
            }
        case UInt8(ascii: "_"):
            guard let text = try self.line(&buffer) else { return nil }
            guard text.isEmpty else { throw .protocolViolation("null with content") }
            return .null
        case UInt8(ascii: "#"):
            guard let text = try self.line(&buffer) else { return nil }
            switch text {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            default: throw .protocolViolation("boolean reply '\(text.prefix(40))'")
            }
        case UInt8(ascii: ","):
            return try self.line(&buffer).map { .double($0) }
        case UInt8(ascii: "("):
            return try self.line(&buffer).map { .bigNumber($0) }
        default:
            throw .protocolViolation("unknown reply type byte 0x\(String(marker, radix: 16))")
        }
    }

    /// The text up to CRLF, `nil` when the CRLF has not arrived yet.
    private func line(_ buffer: inout ByteBuffer) throws(StoreClientError) -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: 0x0D) else {
            guard view.count <= self.limits.maxLineBytes else { throw .limitExceeded("a reply line is over \(self.limits.maxLineBytes) bytes") }
            return nil
        }
        let length = cr - view.startIndex
        guard length <= self.limits.maxLineBytes else { throw .limitExceeded("a reply line is over \(self.limits.maxLineBytes) bytes") }
        guard view.count > length + 1 else { return nil }
        guard view[cr + 1] == 0x0A else { throw .protocolViolation("CR not followed by LF") }
        let text = buffer.readString(length: length)!
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }

    private func length(_ buffer: inout ByteBuffer) throws(StoreClientError) -> Int? {
        guard let text = try self.line(&buffer) else { return nil }
        guard let n = Int(text), n >= -1 else { throw .protocolViolation("length '\(text.prefix(40))' is not a length") }
        return n
    }
}
