/// One field as it is on the wire: its number and its payload, not yet interpreted by any schema.
public struct WireField: Sendable, Hashable {
    public enum Payload: Sendable, Hashable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case lengthDelimited(ArraySlice<UInt8>)
    }

    public var number: Int
    public var payload: Payload
    /// Where the field's tag starts in the message, for error messages.
    public var offset: Int

    public var wireType: WireType {
        switch self.payload {
        case .varint: return .varint
        case .fixed64: return .fixed64
        case .fixed32: return .fixed32
        case .lengthDelimited: return .lengthDelimited
        }
    }
}
