/// Reads protobuf wire format field by field from a byte slice: varints, fixed 32/64-bit values, length-delimited
/// payloads. One reader for every use (descriptor sets, messages with a schema, messages without), so every parser
/// agrees on what a malformed message is.
///
/// Bounded: a varint is at most 10 bytes, a length never reaches past the slice, groups are refused
/// (``WireFormatError``) rather than skipped, because skipping one needs the very nesting rules groups broke.
public struct WireReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var isAtEnd: Bool { self.index >= self.bytes.endIndex }

    /// Offset from the start of the slice, for messages.
    var offset: Int { self.index - self.bytes.startIndex }

    /// The next field, or `nil` at the end of the message.
    /// - Throws: ``WireFormatError`` for a truncated or invalid field or a group.
    public mutating func next() throws(WireFormatError) -> WireField? {
        if self.isAtEnd { return nil }
        let start = self.offset
        let tag = try self.readVarint()
        let number = tag >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw WireFormatError(.invalidTag(tag), at: start) }
        let field = Int(number)
        guard let type = WireType(rawValue: UInt8(tag & 7)) else {
            throw WireFormatError(.invalidWireType(UInt8(tag & 7), field: field), at: start)
        }
        switch type {
        case .varint:
            return WireField(number: field, payload: .varint(try self.readVarint()), offset: start)
        case .fixed64:
            return WireField(number: field, payload: .fixed64(try self.readFixed64(field: field)), offset: start)
        case .fixed32:
            return WireField(number: field, payload: .fixed32(try self.readFixed32(field: field)), offset: start)
        case .lengthDelimited:
            let length = try self.readVarint()
            let available = self.bytes.endIndex - self.index
            guard length <= UInt64(available) else {
                throw WireFormatError(.truncatedField(field: field, needed: Int(clamping: length), available: available), at: start)
            }
            return WireField(number: field, payload: .lengthDelimited(try self.take(Int(length), field: field, start: start)), offset: start)
        case .startGroup, .endGroup:
            throw WireFormatError(.groupNotSupported(field: field), at: start)
        }
    }

    /// A base-128 varint of at most 10 bytes.
    public mutating func readVarint() throws(WireFormatError) -> UInt64 {
        let start = self.offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard self.index < self.bytes.endIndex else { throw WireFormatError(.truncatedVarint, at: start) }
            let byte = self.bytes[self.index]
            self.index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift >= 70 { throw WireFormatError(.varintTooLong, at: start) }
        }
    }

    /// A little-endian 64-bit value (`fixed64`, `sfixed64`, `double`); `field` names it in errors.
    public mutating func readFixed64(field: Int) throws(WireFormatError) -> UInt64 {
        let raw = try self.take(8, field: field, start: self.offset)
        var v: UInt64 = 0
        for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    /// A little-endian 32-bit value (`fixed32`, `sfixed32`, `float`); `field` names it in errors.
    public mutating func readFixed32(field: Int) throws(WireFormatError) -> UInt32 {
        let raw = try self.take(4, field: field, start: self.offset)
        var v: UInt32 = 0
        for (i, b) in raw.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    private mutating func take(_ n: Int, field: Int, start: Int) throws(WireFormatError) -> ArraySlice<UInt8> {
        let available = self.bytes.endIndex - self.index
        guard n <= available else { throw WireFormatError(.truncatedField(field: field, needed: n, available: available), at: start) }
        let slice = self.bytes[self.index..<(self.index + n)]
        self.index += n
        return slice
    }

    /// Every field of `bytes`, in wire order.
    public static func fields(_ bytes: ArraySlice<UInt8>) throws(WireFormatError) -> [WireField] {
        var reader = WireReader(bytes)
        var fields: [WireField] = []
        while let field = try reader.next() { fields.append(field) }
        return fields
    }
}
