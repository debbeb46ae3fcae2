/// When each replayed request is due: a pure iterator over the capture, unit-tested without clocks.
///
/// The replayer asks ``next(elapsed:)`` for the next request and sends it at ``Entry/due`` (measured from the
/// start of the run) whether or not earlier requests have answered: the schedule is *open loop*, so a slow
/// candidate shows as latency, not as a slower test. Without pacing (``Pacing/unpaced``) there is no due time:
/// requests go as fast as the in-flight bound lets them, as `replay` always did.
public struct ReplaySchedule: Sendable {
    /// How requests are spaced.
    public enum Pacing: Sendable, Hashable {
        /// As fast as the in-flight bound allows (`replay`'s default, for CI gates).
        case unpaced
        /// `speed`× the recorded pace: the captured inter-arrival times divided by `speed` (`--speed`).
        case speed(Double)
        /// A fixed number of requests per second, evenly spaced (`--rate`).
        case rate(Double)
    }

    /// One request to send.
    public struct Entry: Sendable, Hashable {
        /// Index into the offsets the schedule was made with.
        public var index: Int
        /// How many times the capture was gone through before this one (0 on the first pass).
        public var cycle: Int
        /// When the request is due, from the start of the run; `nil` when unpaced (send now).
        public var due: Duration?
    }

    public let pacing: Pacing
    /// Whether to go through the capture again after its end (`--loop`).
    public let loops: Bool
    /// When to stop: no request is due at or after this (`--duration`). `nil`: at the end of the capture, or
    /// never when looping.
    public let duration: Duration?
    private let offsets: [Duration]
    /// The recorded length of one pass, plus one mean gap so a loop's first request does not land on its last.
    private let cycleLength: Duration
    private var position = 0
    private var cycle = 0
    private var sent = 0

    /// - Parameters:
    ///   - offsets: each request's recorded start relative to the first request of the capture, in capture
    ///     order (a negative or out-of-order offset is sent right after its predecessor, so the order of the
    ///     capture is kept).
    public init(offsets: [Duration], pacing: Pacing, loops: Bool = false, duration: Duration? = nil) {
        var monotonic: [Duration] = []
        monotonic.reserveCapacity(offsets.count)
        for offset in offsets { monotonic.append(Swift.max(offset, monotonic.last ?? .zero)) }
        self.offsets = monotonic
        self.pacing = pacing
        self.loops = loops || duration != nil
        self.duration = duration
        let span = monotonic.last ?? .zero
        let meanGap = monotonic.count > 1 ? span / (monotonic.count - 1) : .zero
        // A capture whose requests all share one timestamp still moves on between passes.
        self.cycleLength = Swift.max(span + meanGap, .milliseconds(1))
    }

    /// The next request to send, `nil` when the schedule is over.
    /// - Parameter elapsed: time since the run started; only an unpaced schedule with a ``duration`` reads it
    ///   (paced schedules end by their own due times, so they stay independent of the clock).
    public mutating func next(elapsed: Duration = .zero) -> Entry? {
        guard !self.offsets.isEmpty else { return nil }
        if self.position == self.offsets.count {
            guard self.loops else { return nil }
            self.position = 0
            self.cycle += 1
        }
        let due = self.due(index: self.position, cycle: self.cycle, sequence: self.sent)
        if let limit = self.duration {
            if let due, due >= limit { return nil }
            if due == nil, elapsed >= limit { return nil }
        }
        let entry = Entry(index: self.position, cycle: self.cycle, due: due)
        self.position += 1
        self.sent += 1
        return entry
    }

    private func due(index: Int, cycle: Int, sequence: Int) -> Duration? {
        switch self.pacing {
        case .unpaced:
            return nil
        case .speed(let speed):
            return (self.cycleLength * cycle + self.offsets[index]) / speed
        case .rate(let rate):
            return .seconds(Double(sequence) / rate)
        }
    }

    /// The rate this schedule aims at, in requests per second: `nil` when unpaced or when the capture has no
    /// spread in time (a speed over a capture whose requests share one instant).
    public var targetRate: Double? {
        switch self.pacing {
        case .unpaced:
            return nil
        case .rate(let rate):
            return rate
        case .speed(let speed):
            // One pass holds offsets.count requests in cycleLength / speed.
            let seconds = self.cycleLength.seconds / speed
            return seconds > 0 ? Double(self.offsets.count) / seconds : nil
        }
    }
}
