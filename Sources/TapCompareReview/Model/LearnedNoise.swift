import Foundation

/// The learned-noise models the `serve` instances published to the ledger: the thresholds in force and the fields
/// each route's model classifies as noise on comparisons without a baseline of their own.
public struct LearnedNoiseReport: Sendable, Codable, Hashable {
    /// One per instance that published, newest first.
    public var models: [NoiseModelSettings]
    /// Per route and field, the newest instance's estimate; those classified as noise first, then by share.
    public var fields: [LearnedNoiseField]

    public init(models: [NoiseModelSettings], fields: [LearnedNoiseField]) {
        self.models = models
        self.fields = fields
    }
}

/// One instance's thresholds (`noise.min_share`, `noise.min_samples`, `noise.window`).
public struct NoiseModelSettings: Sendable, Codable, Hashable {
    public var instance: String
    public var updatedAt: Date
    /// `false` when the instance had no baseline source (`secondary:` or `noise.replay_legacy`): nothing is learned.
    public var learning: Bool
    public var minShare: Double
    public var minSamples: Int
    public var window: Int
}

/// What a route's model believes about one field.
public struct LearnedNoiseField: Sendable, Codable, Hashable {
    public var route: String
    public var field: String
    /// Baselined comparisons of the route in which the two legacy answers differed at this field.
    public var noisyIn: Int
    /// Baselined comparisons of the route in the model's window.
    public var samples: Int
    public var share: Double
    /// Whether the model classifies this field as noise (`share ≥ min_share` with `samples ≥ min_samples`).
    public var classifiedAsNoise: Bool
    public var instance: String
}
