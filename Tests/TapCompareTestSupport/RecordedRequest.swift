import NIOCore
import NIOHTTP1

/// One request as a ``ScriptedUpstream`` received it.
public struct RecordedRequest: Sendable {
    public var head: HTTPRequestHead
    /// The body, kept up to ``ScriptedUpstream/maxRecordedBodyBytes``.
    public var body: [UInt8]
    /// The full body length received.
    public var bodyLength: Int
    /// The body's bytes folded into a checksum (FNV-1a), so huge uploads can be verified without keeping them.
    public var bodyChecksum: UInt64
}

/// FNV-1a over a stream of bytes.
public struct StreamChecksum: Sendable, Equatable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var hash = self.value
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        self.value = hash
    }

    /// The checksum of `count` bytes of the pattern ``UpstreamBehavior/huge(bytes:)`` sends.
    public static func pattern(count: Int) -> UInt64 {
        var sum = StreamChecksum()
        var chunk = [UInt8](repeating: 0, count: 251)
        for i in 0..<251 { chunk[i] = UInt8(i) }
        var left = count
        while left > 0 {
            let n = min(left, 251)
            sum.add(chunk[0..<n])
            left -= n
        }
        return sum.value
    }
}
