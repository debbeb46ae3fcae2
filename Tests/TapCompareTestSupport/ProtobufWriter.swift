/// A small protobuf *encoder* for tests: builds messages field by field in wire format, so tests plant exactly the
/// bytes they mean (a changed value, a changed wire type on one field number, a missing repeated element) without
/// generated code. Each method returns a new writer, so messages read as one expression.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A base-128 varint.
    public static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    private func appending(_ field: Int, _ wireType: UInt8, _ payload: [UInt8]) -> ProtobufWriter {
        var copy = self
        copy.bytes += Self.varint(UInt64(field) << 3 | UInt64(wireType)) + payload
        return copy
    }

    /// A varint field (int32, int64, uint*, bool, enum): negative values as their 64-bit two's complement, as
    /// protobuf writes them (10 bytes).
    public func varint(_ field: Int, _ value: Int64) -> ProtobufWriter { self.appending(field, 0, Self.varint(UInt64(bitPattern: value))) }
    public func uvarint(_ field: Int, _ value: UInt64) -> ProtobufWriter { self.appending(field, 0, Self.varint(value)) }
    /// A ZigZag varint (sint32, sint64).
    public func sint(_ field: Int, _ value: Int64) -> ProtobufWriter {
        self.appending(field, 0, Self.varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))))
    }
    public func bool(_ field: Int, _ value: Bool) -> ProtobufWriter { self.uvarint(field, value ? 1 : 0) }
    public func fixed64(_ field: Int, _ value: UInt64) -> ProtobufWriter {
        self.appending(field, 1, (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }
    public func fixed32(_ field: Int, _ value: UInt32) -> ProtobufWriter {
        self.appending(field, 5, (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) })
    }
    public func double(_ field: Int, _ value: Double) -> ProtobufWriter { self.fixed64(field, value.bitPattern) }
    public func float(_ field: Int, _ value: Float) -> ProtobufWriter { self.fixed32(field, value.bitPattern) }
    public func bytes(_ field: Int, _ value: [UInt8]) -> ProtobufWriter {
        self.appending(field, 2, Self.varint(UInt64(value.count)) + value)
    }
    public func string(_ field: Int, _ value: String) -> ProtobufWriter { self.bytes(field, Array(value.utf8)) }
    public func message(_ field: Int, _ value: ProtobufWriter) -> ProtobufWriter { self.bytes(field, value.bytes) }
    /// A packed repeated varint field (proto3's default for repeated scalars).
    public func packed(_ field: Int, _ values: [Int64]) -> ProtobufWriter {
        self.bytes(field, values.flatMap { Self.varint(UInt64(bitPattern: $0)) })
    }
    /// A `map<string, string>` entry (key 1, value 2).
    public func mapEntry(_ field: Int, _ key: String, _ value: String) -> ProtobufWriter {
        self.message(field, ProtobufWriter().string(1, key).string(2, value))
    }
    /// Raw bytes appended as they are (for malformed messages).
    public func raw(_ bytes: [UInt8]) -> ProtobufWriter {
        var copy = self
        copy.bytes += bytes
        return copy
    }
}

/// gRPC's length-prefixed message framing, for building response bodies in tests.
public enum GRPCFraming {
    /// Each message prefixed with its compressed flag and 4-byte big-endian length.
    public static func body(_ messages: [[UInt8]], compressed: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for m in messages {
            out.append(compressed ? 1 : 0)
            let n = UInt32(m.count)
            out += [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
            out += m
        }
        return out
    }

    public static func body(_ messages: ProtobufWriter...) -> [UInt8] { self.body(messages.map(\.bytes)) }
}
