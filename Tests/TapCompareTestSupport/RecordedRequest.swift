import NIOCore
import NIOHTTP1
import Synchronization

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

/// FNV-1a over a stream of bytes, taken eight at a time (little-endian words), so a gigabyte-sized transfer is
/// checked in a fraction of the time a byte at a time takes in the debug builds tests run. The value does not depend
/// on how the stream was cut into parts: bytes of an unfinished word wait for the next part.
public struct StreamChecksum: Sendable, Equatable {
    private static let prime: UInt64 = 0x0000_0100_0000_01b3
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The bytes of the word under way, the first in the lowest byte, and how many there are (0 to 7).
    private var pending: UInt64 = 0
    private var pendingCount: UInt64 = 0

    public init() {}

    /// The checksum of every byte added so far, the unfinished word's bytes and their number included (so a stream
    /// and the same stream with a zero byte more differ).
    public var value: UInt64 {
        ((self.hash ^ self.pending) &* Self.prime ^ self.pendingCount) &* Self.prime
    }

    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ self.add(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        for byte in bytes { self.add(byte) }
    }

    public mutating func add(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.add($0) }
    }

    /// The hot loop over raw memory. Whole words are first copied into aligned scratch memory: a debug build loads an
    /// aligned word through a transparent subscript, but an unaligned one through a generic call that costs more than
    /// the copy (2.5 times faster than byte by byte at `-Onone`, measured on 256 MiB).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let raw = bytes.baseAddress else { return }
        let count = bytes.count
        var i = 0
        while i < count && self.pendingCount > 0 {
            self.add(raw.load(fromByteOffset: i, as: UInt8.self))
            i &+= 1
        }
        let words = (count &- i) &>> 3
        if words > 0 {
            let block = 512
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: block)
            defer { scratch.deallocate() }
            var hash = self.hash
            var done = 0
            while done < words {
                let n = Swift.min(block, words &- done)
                UnsafeMutableRawPointer(scratch).copyMemory(from: raw + i, byteCount: n &<< 3)
                var k = 0
                while k < n {
                    hash = (hash ^ UInt64(littleEndian: scratch[k])) &* Self.prime
                    k &+= 1
                }
                i &+= n &<< 3
                done &+= n
            }
            self.hash = hash
        }
        while i < count {
            self.add(raw.load(fromByteOffset: i, as: UInt8.self))
            i &+= 1
        }
    }

    mutating func add(_ byte: UInt8) {
        self.pending |= UInt64(byte) &<< (self.pendingCount &* 8)
        self.pendingCount &+= 1
        if self.pendingCount == 8 {
            self.hash = (self.hash ^ self.pending) &* Self.prime
            self.pending = 0
            self.pendingCount = 0
        }
    }

    /// The checksum of `count` bytes of the pattern ``UpstreamBehavior/huge(bytes:)`` sends.
    /// Computed once per count: several tests check a gigabyte of it.
    public static func pattern(count: Int) -> UInt64 {
        if let known = Self.patterns.withLock({ $0[count] }) { return known }
        let value = Self.computePattern(count: count)
        Self.patterns.withLock { $0[count] = value }
        return value
    }

    private static let patterns = Mutex<[Int: UInt64]>([:])

    private static func computePattern(count: Int) -> UInt64 {
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
