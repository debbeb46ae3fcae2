import TapCompareCore

/// Classifies each discrepancy of one comparison as `regression`, `noise` or `race` from the evidence gathered
/// for it. Pure: the evidence (second legacy answers, re-reads, version headers) is fetched elsewhere.
///
/// The order of judgement:
/// 1. Differing versions (`ETag`, `Last-Modified` or `race.version_path`) mean the two services answered about
///    different data: every discrepancy is a `race`.
/// 2. With a baseline (a second legacy answer to the same request), a discrepancy where legacy also changed is
///    `noise`; where the two legacy answers agree it stays a `regression` even if the field is noisy elsewhere —
///    a field can never hide a regression just because it is noisy on other requests.
/// 3. Without a baseline, a field the ``NoiseModel`` learned to be noisy on this route is `noise`.
/// 4. A remaining regression whose legacy value changed on a later re-read is a `race`.
public enum DiscrepancyClassifier {
    public struct Evidence: Sendable {
        /// Where a second legacy answer differed from the first; `nil` when there was no second answer.
        public var baseline: ChangedPaths?
        /// Where legacy's later re-read differed from its first answer; `nil` when there was no re-read.
        public var recheck: ChangedPaths?
        /// The legacy and candidate responses carried different versions of the resource.
        public var versionsDiffer: Bool

        public init(baseline: ChangedPaths? = nil, recheck: ChangedPaths? = nil, versionsDiffer: Bool = false) {
            self.baseline = baseline
            self.recheck = recheck
            self.versionsDiffer = versionsDiffer
        }
    }

    public static func classify(
        _ discrepancies: [Discrepancy],
        route: String,
        evidence: Evidence,
        noiseModel: NoiseModel?
    ) -> [Discrepancy] {
        discrepancies.map { d in
            var d = d
            d.classification = Self.classification(of: d, route: route, evidence: evidence, noiseModel: noiseModel)
            return d
        }
    }

    static func classification(of d: Discrepancy, route: String, evidence: Evidence, noiseModel: NoiseModel?) -> Classification {
        if evidence.versionsDiffer { return .race }
        if let baseline = evidence.baseline {
            if baseline.covers(d) { return .noise }
        } else if let model = noiseModel, model.isNoisy(route: route, field: d.field) {
            return .noise
        }
        if let recheck = evidence.recheck, recheck.covers(d) { return .race }
        return .regression
    }
}
