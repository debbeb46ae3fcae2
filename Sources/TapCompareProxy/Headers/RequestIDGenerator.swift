import Foundation
import TapCompareCore
import TapCompareMirroring

/// Generates request ids (UUIDv7 text) and comparison ids (UUIDv7) from a per-event-loop generator, avoiding the
/// `getrandom` system call `SystemRandomNumberGenerator` makes for every draw (two per id: at sample rate 1.0 that
/// was two system calls per request, measured with `bench/proxy.sh` `SCENARIOS=syscalls`).
struct RequestIDGenerator {
    private var random: SplitMix64

    init(seed: UInt64) {
        self.random = SplitMix64(seed: seed)
    }

    /// A request id, as sent in the request id header.
    mutating func next() -> String {
        self.nextUUID().lowercasedText
    }

    /// A UUIDv7 for a comparison (``Exchange/id``).
    mutating func nextUUID() -> UUID {
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        return UUID.v7(milliseconds: milliseconds, using: &self.random)
    }
}
