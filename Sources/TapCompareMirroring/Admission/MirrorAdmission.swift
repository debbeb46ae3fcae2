import TapCompareCore

/// Collects a sampled request's body for the candidate within ``MirrorConfiguration/maxBodyBytes``.
///
/// Pure bookkeeping: the proxy feeds it every body part as it streams to legacy; once the body is over the cap
/// the copy is dropped (so memory stays bounded) and the exchange is recorded as `body_too_large`.
public struct MirrorBodyBudget: Sendable, Equatable {
    public let maxBytes: Int
    /// Bytes the client has sent so far.
    public private(set) var seen: Int = 0

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Whether the body is still small enough to be mirrored.
    public var fits: Bool { self.seen <= self.maxBytes }

    /// Records `count` more bytes; returns whether they should be appended to the copy.
    public mutating func admit(_ count: Int) -> Bool {
        self.seen += count
        return self.fits
    }
}
