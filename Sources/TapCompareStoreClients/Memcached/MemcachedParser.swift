import NIOCore

/// Reads one whole ``MemcachedResponse`` off the front of a buffer, without I/O (memcached's text protocol,
/// <https://github.com/memcached/memcached/blob/master/doc/protocol.txt>).
///
/// Incremental like ``RESPParser``: `nil` (buffer untouched) until the reply's last line has arrived; bounded by
/// ``Limits`` whatever sizes the server announces.
public struct MemcachedParser: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Largest value. Default 8 MiB (memcached's own default item limit is 1 MiB).
        public var maxValueBytes: Int = 8 << 20
        /// Most items in one reply. Default 1,000.
        public var maxItems: Int = 1_000
        /// Longest line. Default 2 KiB (a key is at most 250 bytes).
        public var maxLineBytes: Int = 2 << 10
        /// Largest whole reply, counted as it arrives (1,000 values of 8 MiB would be 8 GB): a reply is held whole
        /// until its `END`. Default 32 MiB.
        public var maxReplyBytes: Int = 32 << 20

        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// - Throws: ``StoreClientError`` for bytes that are not the protocol or exceed ``limits``.
    public func parse(_ buffer: inout ByteBuffer) throws(StoreClientError) -> MemcachedResponse? {
        let buffered = buffer.readableBytes
        guard let response = try self.parseWhole(&buffer) else {
            // Incomplete: what is buffered so far is already part of this one reply.
            guard buffered <= self.limits.maxReplyBytes else { throw self.replyTooLarge(buffered) }
            return nil
        }
        let consumed = buffered - buffer.readableBytes
        guard consumed <= self.limits.maxReplyBytes else { throw self.replyTooLarge(consumed) }
        return response
    }

    private func replyTooLarge(_ bytes: Int) -> StoreClientError {
        .limitExceeded("a memcached reply of more than \(bytes) bytes is over the \(self.limits.maxReplyBytes)-byte limit")
    }

    private func parseWhole(_ buffer: inout ByteBuffer) throws(StoreClientError) -> MemcachedResponse? {
        var copy = buffer
        var items: [MemcachedItem] = []
        while true {
            guard let line = try self.line(&copy) else { return nil }
            if line == "END" {
                buffer = copy
                return .items(items)
            }
            if line.hasPrefix("VALUE ") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count == 4 || fields.count == 5, let flags = UInt32(fields[2]), let length = Int(fields[3]), length >= 0 else {
                    throw .protocolViolation("memcached VALUE line '\(line.prefix(80))'")
                }
                guard length <= self.limits.maxValueBytes else {
                    throw .limitExceeded("a \(length)-byte memcached value is over the \(self.limits.maxValueBytes)-byte limit")
                }
                var cas: UInt64?
                if fields.count == 5 {
                    guard let value = UInt64(fields[4]) else { throw .protocolViolation("memcached CAS '\(fields[4].prefix(40))'") }
                    cas = value
                }
                guard copy.readableBytes >= length + 2, let value = copy.readSlice(length: length) else { return nil }
                guard copy.readInteger(as: UInt16.self) == 0x0D0A else { throw .protocolViolation("memcached value not followed by CRLF") }
                items.append(MemcachedItem(key: String(fields[1]), flags: flags, value: value, cas: cas))
                guard items.count <= self.limits.maxItems else {
                    throw .limitExceeded("a memcached reply of more than \(self.limits.maxItems) items")
                }
                continue
            }
            guard items.isEmpty else { throw .protocolViolation("memcached line '\(line.prefix(80))' inside a retrieval reply") }
            buffer = copy
            if line.hasPrefix("VERSION ") { return .version(String(line.dropFirst("VERSION ".count))) }
            if line == "ERROR" || line.hasPrefix("CLIENT_ERROR") || line.hasPrefix("SERVER_ERROR") { return .error(line) }
            throw .protocolViolation("unexpected memcached reply '\(line.prefix(80))'")
        }
    }

    private func line(_ buffer: inout ByteBuffer) throws(StoreClientError) -> String? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 0x0A) else {
            guard view.count <= self.limits.maxLineBytes else { throw .limitExceeded("a memcached reply line over \(self.limits.maxLineBytes) bytes") }
            return nil
        }
        let length = lf - view.startIndex
        guard length <= self.limits.maxLineBytes else { throw .limitExceeded("a memcached reply line over \(self.limits.maxLineBytes) bytes") }
        guard length >= 1, view[lf - 1] == 0x0D else { throw .protocolViolation("memcached line not ended by CRLF") }
        let text = buffer.readString(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }
}

/// Turns memcached's bytes into one ``MemcachedResponse`` per command.
struct MemcachedDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = MemcachedResponse
    let parser: MemcachedParser

    mutating func decode(buffer: inout ByteBuffer) throws -> MemcachedResponse? {
        try self.parser.parse(&buffer)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MemcachedResponse? {
        try self.decode(buffer: &buffer)
    }
}
