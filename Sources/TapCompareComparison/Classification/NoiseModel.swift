import NIOConcurrencyHelpers

/// Learned noise: which fields of a route legacy itself keeps changing, judged over a sliding window of the
/// comparisons that had a baseline (a second legacy answer).
///
/// A field found noisy in at least ``Configuration/minShare`` of the last ``Configuration/window`` baselined
/// comparisons of its route, with at least ``Configuration/minSamples`` of them, is classified `noise` on
/// comparisons that had no baseline of their own.
public final class NoiseModel: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// `noise.min_share`: share of baselined comparisons in which the field differed. Default `0.5`.
        public var minShare: Double
        /// `noise.min_samples`: baselined comparisons of the route needed before anything is learned. Default `20`.
        public var minSamples: Int
        /// `noise.window`: how many recent baselined comparisons per route are remembered. Default `200`.
        public var window: Int

        public init(minShare: Double = 0.5, minSamples: Int = 20, window: Int = 200) {
            self.minShare = minShare
            self.minSamples = minSamples
            self.window = window
        }
    }

    /// What the model believes about one field, for reports.
    public struct FieldEstimate: Sendable, Hashable {
        public var route: String
        public var field: String
        public var noisyIn: Int
        public var samples: Int
        public var share: Double { self.samples == 0 ? 0 : Double(self.noisyIn) / Double(self.samples) }
    }

    /// Per route: a ring of the noisy-field sets of the last `window` baselined comparisons, and running counts.
    struct RouteWindow {
        var ring: [Set<String>] = []
        var next = 0
        var counts: [String: Int] = [:]

        mutating func add(_ fields: Set<String>, window: Int) {
            if self.ring.count < window {
                self.ring.append(fields)
            } else {
                for f in self.ring[self.next] {
                    let c = (self.counts[f] ?? 1) - 1
                    self.counts[f] = c == 0 ? nil : c
                }
                self.ring[self.next] = fields
                self.next = (self.next + 1) % window
            }
            for f in fields { self.counts[f, default: 0] += 1 }
        }
    }

    public let configuration: Configuration
    /// Bounded: at most `window` entries per route, and routes are templates (a bounded set).
    private let state = NIOLockedValueBox<[String: RouteWindow]>([:])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Records one baselined comparison: the fields (grouping keys) at which the two legacy answers differed.
    public func observe(route: String, noisyFields: Set<String>) {
        let window = max(1, self.configuration.window)
        self.state.withLockedValue { $0[route, default: RouteWindow()].add(noisyFields, window: window) }
    }

    /// Whether the field is known to be noisy on this route.
    public func isNoisy(route: String, field: String) -> Bool {
        self.state.withLockedValue { state in
            guard let w = state[route], w.ring.count >= self.configuration.minSamples, w.ring.count > 0 else { return false }
            return Double(w.counts[field] ?? 0) / Double(w.ring.count) >= self.configuration.minShare
        }
    }

    /// Every field the model has seen change, for the report.
    public func estimates() -> [FieldEstimate] {
        self.state.withLockedValue { state in
            state.flatMap { route, w in
                w.counts.map { FieldEstimate(route: route, field: $0.key, noisyIn: $0.value, samples: w.ring.count) }
            }.sorted { ($0.route, $0.field) < ($1.route, $1.field) }
        }
    }
}
