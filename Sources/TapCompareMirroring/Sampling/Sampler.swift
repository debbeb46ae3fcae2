/// Decides whether one request is sampled for mirroring.
///
/// With a key the decision is a stable hash of it: the same key gives the same answer on every request, on
/// every instance and across restarts (FNV-1a, not Swift's per-process seeded `Hasher`). Without a key the
/// decision is random, drawn from a cheap generator owned by the caller (one per event loop) because
/// `SystemRandomNumberGenerator` costs a system call per draw.
public struct Sampler: Sendable {
    private var random: SplitMix64

    public init(seed: UInt64) {
        self.random = SplitMix64(seed: seed)
    }

    /// Whether to sample a request at `rate` (clamped to 0…1), keyed by `key` when it has one.
    public mutating func shouldSample(rate: Double, key: Substring?) -> Bool {
        if rate <= 0 { return false }
        if rate >= 1 { return true }
        if let key {
            return Self.unitInterval(Self.stableHash(key)) < rate
        }
        return Self.unitInterval(self.random.next()) < rate
    }

    /// 64-bit FNV-1a of the key's UTF-8 bytes, finished with a SplitMix64 mix so short keys spread evenly.
    public static func stableHash(_ key: Substring) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return SplitMix64.mix(hash)
    }

    /// Maps 64 random bits to [0, 1) using the top 53 bits.
    @inline(__always)
    static func unitInterval(_ bits: UInt64) -> Double {
        Double(bits >> 11) * 0x1.0p-53
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for sampling decisions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        return Self.mix(self.state)
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
