/// How long the demo services take to answer: a fixed function of the request id, so a demo run is repeatable.
///
/// The legacy monolith answers in its recorded time (log-normal around 18 ms with a slow tail of GC pauses and
/// cold caches up to ~650 ms); the Go candidate answers in about 40% of it and never hits the slow tail, so its
/// p99 is lower. ``scale`` multiplies both (`0` for benchmarks, where only throughput matters).
public struct DemoLatency: Sendable, Hashable {
    /// Multiplier for every delay. Default `1.0`; `0` answers at once.
    public var scale: Double

    public init(scale: Double = 1.0) {
        self.scale = scale
    }

    /// Legacy's delay: the recorded latency.
    func legacy(recordedMS: Double) -> Duration {
        .milliseconds(recordedMS * self.scale)
    }

    /// The candidate's delay: 40% of legacy's with the slow tail cut to a 3–9 ms jitter from the request id.
    func candidate(recordedMS: Double, requestID: String) -> Duration {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in requestID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let jitter = 3 + Double(hash % 6000) / 1000
        return .milliseconds(min(recordedMS * 0.4, 12 + jitter) * self.scale)
    }
}
