/// ZigZag decoding of `sint32`/`sint64` (protobuf encoding guide, "Signed Integers").
public enum ZigZag {
    @inlinable
    public static func decode64(_ n: UInt64) -> Int64 {
        Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
    }

    @inlinable
    public static func decode32(_ n: UInt64) -> Int32 {
        let low = UInt32(truncatingIfNeeded: n)
        return Int32(bitPattern: (low >> 1) ^ (0 &- (low & 1)))
    }

    @inlinable
    public static func encode64(_ n: Int64) -> UInt64 {
        UInt64(bitPattern: (n << 1) ^ (n >> 63))
    }
}
