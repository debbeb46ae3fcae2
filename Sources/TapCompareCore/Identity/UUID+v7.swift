import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits.
    ///
    /// Ids from different instances never collide in practice (74 random bits per millisecond) and sort by
    /// creation time, which keeps the ledger's primary-key index append-mostly.
    public static func v7(at date: Date = Date()) -> UUID {
        var rng = SystemRandomNumberGenerator()
        return UUID.v7(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)), using: &rng)
    }

    /// A version 7 UUID for an explicit timestamp and random source (deterministic in tests).
    public static func v7<R: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout R) -> UUID {
        let r1 = rng.next() as UInt64
        let r2 = rng.next() as UInt64
        let ms = milliseconds & 0xFFFF_FFFF_FFFF
        return UUID(uuid: (
            UInt8(truncatingIfNeeded: ms >> 40), UInt8(truncatingIfNeeded: ms >> 32),
            UInt8(truncatingIfNeeded: ms >> 24), UInt8(truncatingIfNeeded: ms >> 16),
            UInt8(truncatingIfNeeded: ms >> 8), UInt8(truncatingIfNeeded: ms),
            0x70 | UInt8(truncatingIfNeeded: r1 >> 60) & 0x0F, UInt8(truncatingIfNeeded: r1 >> 52),
            0x80 | UInt8(truncatingIfNeeded: r1 >> 46) & 0x3F, UInt8(truncatingIfNeeded: r1 >> 38),
            UInt8(truncatingIfNeeded: r2 >> 56), UInt8(truncatingIfNeeded: r2 >> 48),
            UInt8(truncatingIfNeeded: r2 >> 40), UInt8(truncatingIfNeeded: r2 >> 32),
            UInt8(truncatingIfNeeded: r2 >> 24), UInt8(truncatingIfNeeded: r2 >> 16)
        ))
    }
}
