import TapCompareTestSupport
import Testing

/// The checksum the streaming tests verify gigabytes with: how a stream is cut into parts must not matter, and a
/// stream that lost, gained or moved a byte must not pass.
@Suite struct StreamChecksumTests {
    static let bytes: [UInt8] = (0..<10_007).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }

    static func checksum(_ bytes: [UInt8], partSizes: [Int]) -> UInt64 {
        var sum = StreamChecksum()
        var start = 0
        var next = 0
        while start < bytes.count {
            let end = min(bytes.count, start + partSizes[next % partSizes.count])
            sum.add(bytes[start..<end])
            start = end
            next += 1
        }
        return sum.value
    }

    @Test("the same bytes cut into parts of any sizes have one checksum")
    func partsDoNotMatter() {
        let whole = Self.checksum(Self.bytes, partSizes: [Self.bytes.count])
        for sizes in [[1], [3], [7], [8], [9], [64, 1, 5], [4096, 13]] {
            #expect(Self.checksum(Self.bytes, partSizes: sizes) == whole, "parts of \(sizes)")
        }
    }

    @Test("a byte lost, added, changed or moved changes the checksum")
    func changesAreSeen() {
        let whole = Self.checksum(Self.bytes, partSizes: [1000])
        var changed = Self.bytes
        changed[5000] ^= 1
        var swapped = Self.bytes
        swapped.swapAt(10, 11)
        for (name, other) in [
            ("one byte fewer", Array(Self.bytes.dropLast())), ("a zero byte more", Self.bytes + [0]),
            ("a changed byte", changed), ("two bytes swapped", swapped), ("empty", []),
        ] {
            #expect(Self.checksum(other, partSizes: [1000]) != whole, "\(name)")
        }
    }

    @Test("the pattern's checksum is that of the bytes a pattern body sends")
    func patternMatchesThePatternBytes() {
        let count = 251 * 300 + 5
        let bytes = (0..<count).map { UInt8($0 % 251) }
        #expect(StreamChecksum.pattern(count: count) == Self.checksum(bytes, partSizes: [777]))
    }
}
