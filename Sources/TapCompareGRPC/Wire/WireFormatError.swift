/// Bytes that are not a protobuf message: a truncated varint or field, a bad tag, a group, nesting too deep.
///
/// The description is safe to show and store: it names what is wrong and where (a byte offset), never the bytes.
public struct WireFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case truncatedVarint
        case varintTooLong
        case truncatedField(field: Int, needed: Int, available: Int)
        case invalidTag(UInt64)
        case invalidWireType(UInt8, field: Int)
        case groupNotSupported(field: Int)
        case tooDeep(limit: Int)
        case wireTypeMismatch(field: Int, expected: String, got: WireType)
    }

    let code: Code
    /// Offset in the message where the problem was found.
    public let offset: Int

    init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        switch self.code {
        case .truncatedVarint: return "truncated varint at byte \(self.offset)"
        case .varintTooLong: return "varint longer than 10 bytes at byte \(self.offset)"
        case .truncatedField(let field, let needed, let available):
            return "field \(field) at byte \(self.offset) needs \(needed) bytes, \(available) left"
        case .invalidTag(let tag): return "invalid field tag \(tag) at byte \(self.offset) (field number 0 or beyond 2^29-1)"
        case .invalidWireType(let type, let field): return "invalid wire type \(type) for field \(field) at byte \(self.offset)"
        case .groupNotSupported(let field):
            return "field \(field) at byte \(self.offset) is a group (deprecated proto2 wire type), which is not decoded"
        case .tooDeep(let limit): return "messages nested deeper than \(limit) at byte \(self.offset)"
        case .wireTypeMismatch(let field, let expected, let got):
            return "field \(field) at byte \(self.offset) is \(got) on the wire, the descriptor says \(expected)"
        }
    }
}
