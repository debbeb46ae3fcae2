/// When the report calls a field "probably noise": it differs in nearly every comparison of its route, and among
/// its recent occurrences every legacy value and every candidate value is different (ids, clocks, nonces).
///
/// A pure value so the thresholds are tested without a database.
public struct NoisePolicy: Sendable, Hashable {
    /// Least share of the route's compared requests the field must differ in. Default 0.9.
    public var minimumShare: Double
    /// Fewest occurrences before anything is suggested. Default 5.
    public var minimumSamples: Int
    /// How many recent occurrences are inspected for distinct values. Default 200 (a bounded, indexed read).
    public var sampleSize: Int

    public init(minimumShare: Double = 0.9, minimumSamples: Int = 5, sampleSize: Int = 200) {
        self.minimumShare = minimumShare
        self.minimumSamples = minimumSamples
        self.sampleSize = sampleSize
    }

    /// Whether a field is worth inspecting at all (before reading its values).
    public func isCandidate(field: String, kind: String, share: Double, comparisons: Int) -> Bool {
        field.hasPrefix("$") && kind == "value_changed" && share >= self.minimumShare && comparisons >= self.minimumSamples
    }

    /// The suggestion for a candidate field, given the inspected sample, or `nil`.
    public func suggestion(route: String, field: String, share: Double, sampled: Int, distinctLegacy: Int, distinctCandidate: Int) -> NoiseSuggestion? {
        guard sampled >= self.minimumSamples, distinctLegacy == sampled, distinctCandidate == sampled else { return nil }
        let percent = Int((share * 100).rounded(.down))
        let reason = "differs in \(percent)% of comparisons and every value is unique on both sides (\(sampled) recent occurrences): probably generated per request"
        guard let rule = IgnoreRule.yaml(route: route, field: field, why: "per-request value, found noisy by tapcompare report") else { return nil }
        return NoiseSuggestion(reason: reason, sampled: sampled, distinctLegacy: distinctLegacy, distinctCandidate: distinctCandidate, rule: rule)
    }
}
