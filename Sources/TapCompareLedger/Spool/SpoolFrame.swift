import NIOCore

/// The on-disk frame of one spooled batch: `magic (4) | payload length (4) | CRC-32 of payload (4) | payload`,
/// integers big-endian. The CRC tells a batch that was completely written from one cut short by a crash (the
/// tail of the last segment after SIGKILL or power loss) or damaged on disk, which replay reports as lost.
enum SpoolFrame {
    static let magic: UInt32 = 0x5443_5350  // "TCSP"
    static let headerSize = 12
    /// A frame larger than this is corrupt, not a batch (10,000 comparisons with 64 KiB samples fit well below).
    static let maxPayload = 1 << 31 - 1

    static func encode(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + headerSize)
        Self.append(Self.magic, to: &out)
        Self.append(UInt32(payload.count), to: &out)
        Self.append(CRC32.checksum(payload), to: &out)
        out.append(contentsOf: payload)
        return out
    }

    enum Decoded {
        /// A complete frame: its payload, the payload's CRC (from the header, checked) and the offset just after it.
        case frame(payload: ArraySlice<UInt8>, checksum: UInt32, next: Int)
        /// Not enough bytes for a whole frame: the end of the data, or a frame a crash cut short.
        case incomplete
        /// Bytes that are not a frame (wrong magic or CRC).
        case corrupt
    }

    /// Decodes the frame at `offset`, reading no further than `end` (default: the end of `bytes`).
    static func decode(_ bytes: [UInt8], at offset: Int, end: Int? = nil) -> Decoded {
        let end = min(end ?? bytes.count, bytes.count)
        guard end - offset >= headerSize else { return .incomplete }
        let magic = Self.read(bytes, offset)
        guard magic == Self.magic else { return .corrupt }
        let length = Int(Self.read(bytes, offset + 4))
        let crc = Self.read(bytes, offset + 8)
        guard length <= maxPayload else { return .corrupt }
        let start = offset + headerSize
        guard end - start >= length else { return .incomplete }
        let payload = bytes[start..<(start + length)]
        guard CRC32.checksum(payload) == crc else { return .corrupt }
        return .frame(payload: payload, checksum: crc, next: start + length)
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 24))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    private static func read(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}

/// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc = Self.table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
