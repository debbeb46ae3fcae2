import Foundation
import TapCompareCore
import TapCompareMirroring

/// Generates request ids (UUIDv7 text) from a per-event-loop generator, avoiding the system call
/// `SystemRandomNumberGenerator` makes for every draw.
struct RequestIDGenerator {
    private var random: SplitMix64

    init(seed: UInt64) {
        self.random = SplitMix64(seed: seed)
    }

    mutating func next() -> String {
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        return UUID.v7(milliseconds: milliseconds, using: &self.random).uuidString.lowercased()
    }
}
