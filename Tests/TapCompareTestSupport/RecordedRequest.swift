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
        if let done: Void = bytes.withContiguousStorageIfAvailable({ self.add(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        for byte in bytes { self.add(byte) }
    }

    public mutating func add(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.add($0) }
    }

    /// The hot loop over raw memory: tests run debug builds, where iterating a generic sequence per byte
    /// would dominate a gigabyte-sized transfer.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var hash = self.value
        var i = 0
        let count = bytes.count
        while i < count {
            hash = (hash ^ UInt64(base[i])) &* 0x0000_0100_0000_01b3
            i &+= 1
        }
        self.value = hash
    }

    mutating func add(_ byte: UInt8) {
        self.value = (self.value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// The checksum of `count` bytes of the pattern ``UpstreamBehavior/huge(bytes:)`` sends.
    public static func pattern(count: Int) -> UInt64 {
        var sum = StreamChecksum()
        let chunk = [UInt8]((0..<(251 * 261)).map { UInt8($0 % 251) })
        var left = count
        chunk.withUnsafeBytes { raw in
            while left > 0 {
                let n = Swift.min(left, raw.count)
                sum.add(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                left -= n
            }
        }
        return sum.value
    }
}
