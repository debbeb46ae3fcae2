import Foundation

/// What one `serve` instance's learned-noise model believes, as last published to the ledger (tables
/// `noise_models` and `noise_estimates`), so `report` and the UI can show the thresholds in force and why a field
/// was classified `noise` on comparisons without a baseline of their own.
public struct LedgerNoiseModel: Sendable, Hashable {
    /// The ledger schema version that added `noise_models` and `noise_estimates` (migration 3 on both backends).
    public static let schemaVersion = 3

    /// One field's standing on one route: in how many of the route's recent baselined comparisons the two legacy
    /// answers differed there.
    public struct Estimate: Sendable, Hashable {
        public var route: String
        public var field: String
        public var noisyIn: Int
        public var samples: Int

        public init(route: String, field: String, noisyIn: Int, samples: Int) {
            self.route = route
            self.field = field
            self.noisyIn = noisyIn
            self.samples = samples
        }

        public var share: Double { self.samples == 0 ? 0 : Double(self.noisyIn) / Double(self.samples) }
    }

    /// The `serve` instance (`comparisons.instance`).
    public var instance: String
    public var updatedAt: Date
    /// Whether the instance had a baseline source (`secondary:` or `noise.replay_legacy`); without one nothing is
    /// learned and ``estimates`` is empty.
    public var learning: Bool
    /// `noise.min_share`.
    public var minShare: Double
    /// `noise.min_samples`.
    public var minSamples: Int
    /// `noise.window`.
    public var window: Int
    public var estimates: [Estimate]

    public init(instance: String, updatedAt: Date, learning: Bool, minShare: Double, minSamples: Int, window: Int, estimates: [Estimate]) {
        self.instance = instance
        self.updatedAt = updatedAt
        self.learning = learning
        self.minShare = minShare
        self.minSamples = minSamples
        self.window = window
        self.estimates = estimates
    }

    /// Whether the model classifies this estimate's field as noise (the same test as the live model's).
    public func classifiesAsNoise(_ e: Estimate) -> Bool {
        e.samples >= max(1, self.minSamples) && e.share >= self.minShare
    }
}
