/// A log-linear latency histogram in the manner of HdrHistogram: fixed memory, about two significant digits.
///
/// Values are microseconds. Below 256 µs every value has its own bucket; above, each power of two is split into
/// 128 equal buckets, so a recorded value is known to within 1/128 (under 0.8%) of itself. Values above
/// ``highestTrackable`` (about 12.7 days) are counted at that value. The whole range takes 4,480 counters
/// (35 KiB), whatever the number of values, so a replay looping for hours does not grow.
///
/// No package we can depend on provides one (HdrHistogram has no Swift port among them), so this is ours.
public struct LatencyHistogram: Sendable, Hashable {
    /// Buckets per power of two above 256 µs: 2⁷, for a relative error under 1% ("two significant digits").
    static let subBucketHalfCount = 128
    /// 2³⁰ ms in µs: the largest value kept as itself.
    public static let highestTrackable: Int64 = 1 << 40
    static let bucketCount = 2 * subBucketHalfCount + (40 - 7) * subBucketHalfCount

    private var counts: [Int64]
    /// Values recorded.
    public private(set) var count: Int64 = 0
    /// The largest value recorded, exactly (not rounded to its bucket).
    public private(set) var max: Int64 = 0
    /// The smallest value recorded, exactly; 0 when empty.
    public private(set) var min: Int64 = 0
    private var sum: Double = 0

    public init() {
        self.counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The counter a value falls into.
    public static func index(of value: Int64) -> Int {
        let v = Swift.max(0, Swift.min(value, Self.highestTrackable))
        if v < 2 * Self.subBucketHalfCount { return Int(v) }
        // v has `width` significant bits (at least 9): keep its top 8, so the bucket's width is 2^shift.
        let width = Int64.bitWidth - v.leadingZeroBitCount
        let shift = width - 8
        let top = Int(v >> Int64(shift))  // 128…255
        return 2 * Self.subBucketHalfCount + (shift - 1) * Self.subBucketHalfCount + (top - Self.subBucketHalfCount)
    }

    /// The largest value that falls into the counter at `index` (HdrHistogram's "highest equivalent value").
    public static func highestValue(at index: Int) -> Int64 {
        if index < 2 * Self.subBucketHalfCount { return Int64(index) }
        let shift = (index - 2 * Self.subBucketHalfCount) / Self.subBucketHalfCount + 1
        let top = Int64((index - 2 * Self.subBucketHalfCount) % Self.subBucketHalfCount + Self.subBucketHalfCount)
        return ((top + 1) << Int64(shift)) - 1
    }

    /// Records one value in microseconds (negative values count as 0).
    public mutating func record(microseconds value: Int64) {
        let v = Swift.max(0, value)
        self.counts[Self.index(of: v)] += 1
        if self.count == 0 || v < self.min { self.min = v }
        if v > self.max { self.max = v }
        self.count += 1
        self.sum += Double(v)
    }

    /// Records a duration (rounded to microseconds).
    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.record(microseconds: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    /// Adds every value of `other`.
    public mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for i in other.counts.indices where other.counts[i] != 0 { self.counts[i] += other.counts[i] }
        if self.count == 0 || other.min < self.min { self.min = other.min }
        self.max = Swift.max(self.max, other.max)
        self.count += other.count
        self.sum += other.sum
    }

    /// The value at percentile `p` (0…100) in microseconds: the highest value of the bucket holding the
    /// nearest-rank value, never above the recorded maximum (which is what 100 gives). `nil` when empty.
    public func valueAtPercentile(_ p: Double) -> Int64? {
        guard self.count > 0 else { return nil }
        let rank = Swift.max(1, Int64((p / 100 * Double(self.count)).rounded(.up)))
        if rank >= self.count { return self.max }
        var seen: Int64 = 0
        for i in self.counts.indices where self.counts[i] != 0 {
            seen += self.counts[i]
            if seen >= rank { return Swift.min(Self.highestValue(at: i), self.max) }
        }
        return self.max
    }

    /// The mean in microseconds; `nil` when empty.
    public var mean: Double? { self.count == 0 ? nil : self.sum / Double(self.count) }

    /// The percentiles every report shows, in milliseconds; `nil` when nothing was recorded.
    public var standardPercentiles: Percentiles? {
        guard self.count > 0 else { return nil }
        func ms(_ p: Double) -> Double { Double(self.valueAtPercentile(p) ?? 0) / 1000 }
        return Percentiles(count: self.count, p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: Double(self.max) / 1000)
    }

    /// p50, p90, p99, p99.9 and the maximum, in milliseconds.
    public struct Percentiles: Sendable, Hashable {
        public var count: Int64
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double

        /// `p50 1.2 ms, p90 …, max 9.9 ms`.
        public var text: String {
            "p50 \(Self.ms(self.p50)), p90 \(Self.ms(self.p90)), p99 \(Self.ms(self.p99)), p99.9 \(Self.ms(self.p999)), max \(Self.ms(self.max))"
        }

        static func ms(_ value: Double) -> String {
            value >= 100 ? "\(Int(value.rounded())) ms" : value >= 10 ? "\((value * 10).rounded() / 10) ms" : "\((value * 100).rounded() / 100) ms"
        }
    }
}
