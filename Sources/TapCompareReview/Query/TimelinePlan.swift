import Foundation

/// How the window is cut into timeline buckets: the smallest "round" bucket size that keeps the count at or under
/// the maximum, aligned on multiples of that size since the Unix epoch (so two reports agree on bucket edges).
struct TimelinePlan: Sendable, Hashable {
    static let sizes = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400, 30 * 86_400]

    /// The first bucket's start, `nil` for an empty window.
    var origin: Date?
    var bucketSeconds: Int
    var bucketCount: Int

    init(from: Date?, to: Date?, maximumBuckets: Int) {
        guard let from, let to, to > from else {
            self.origin = from.map { Self.align($0, 60) }
            self.bucketSeconds = 60
            self.bucketCount = from == nil ? 0 : 1
            return
        }
        var chosen = Self.sizes.last!
        for size in Self.sizes {
            let origin = Self.align(from, size)
            let count = Int((to.timeIntervalSince1970 - origin.timeIntervalSince1970) / Double(size)) + 1
            if count <= maximumBuckets { chosen = size; break }
        }
        let origin = Self.align(from, chosen)
        self.origin = origin
        self.bucketSeconds = chosen
        let span = to.timeIntervalSince1970 - origin.timeIntervalSince1970
        self.bucketCount = max(1, Int((span / Double(chosen)).rounded(.up)))
    }

    static func align(_ date: Date, _ seconds: Int) -> Date {
        let t = (date.timeIntervalSince1970 / Double(seconds)).rounded(.down) * Double(seconds)
        return Date(timeIntervalSince1970: t)
    }

    func start(ofBucket index: Int) -> Date {
        (self.origin ?? Date(timeIntervalSince1970: 0)).addingTimeInterval(Double(index * self.bucketSeconds))
    }
}
