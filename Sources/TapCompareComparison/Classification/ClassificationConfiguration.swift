import TapCompareCore
import TapCompareJSON

/// How discrepancies are told apart as regression, noise or race, and which writes are verified.
/// The `noise.*`, `race.*` and per-route `verify:` keys of the configuration map onto these properties.
public struct ClassificationConfiguration: Sendable {
    /// `noise.baseline_rate`: fraction of compared safe requests (GET, HEAD, OPTIONS) for which legacy (or
    /// `secondary`) is asked a second time to see which fields change by themselves. Used only when a baseline
    /// probe is configured (`noise.replay_legacy: true` or `secondary:`). Default `1.0`.
    public var baselineRate: Double
    /// `noise.min_share`, `noise.min_samples`, `noise.window`: the learned-noise thresholds.
    public var noiseModel: NoiseModel.Configuration
    /// `race.recheck`: re-read legacy after a mismatch of a safe request to tell races from regressions.
    /// Default `true` (when a legacy probe exists).
    public var recheck: Bool
    /// `race.recheck_delay`: how long after the comparison legacy is read again. Default `200ms`.
    public var recheckDelay: Duration
    /// `race.version_headers`: response headers that carry the resource's version; when legacy and candidate
    /// both send one and they differ, the two answered about different data and every discrepancy is a race.
    /// Default `[ETag, Last-Modified]`.
    /// - Warning: Only meaningful when the candidate computes these exactly as legacy does (a version number
    ///   from the shared datastore, not a hash of its own serialization); otherwise set `[]`.
    public var versionHeaders: [String]
    /// `race.version_path`: a body path holding the record's version (e.g. `$.version`); differing values
    /// classify the comparison as a race. Default: none.
    public var versionPointer: JSONPointer?
    /// Per-route write verification, keyed by route name (`POST /api/v1/comments`).
    public var verifications: [String: WriteVerification]
    /// `classification.max_in_flight`: comparisons gathering evidence at once; beyond it a comparison is
    /// classified with what is known (learned noise) and the skip is counted. Default `64`.
    public var maxInFlight: Int
    /// `classification.queue_capacity`: comparisons waiting for evidence. Default `1024`.
    public var queueCapacity: Int

    public init(
        baselineRate: Double = 1.0,
        noiseModel: NoiseModel.Configuration = .init(),
        recheck: Bool = true,
        recheckDelay: Duration = .milliseconds(200),
        versionHeaders: [String] = ["ETag", "Last-Modified"],
        versionPointer: JSONPointer? = nil,
        verifications: [String: WriteVerification] = [:],
        maxInFlight: Int = 64,
        queueCapacity: Int = 1024
    ) {
        self.baselineRate = baselineRate
        self.noiseModel = noiseModel
        self.recheck = recheck
        self.recheckDelay = recheckDelay
        self.versionHeaders = versionHeaders
        self.versionPointer = versionPointer
        self.verifications = verifications
        self.maxInFlight = maxInFlight
        self.queueCapacity = queueCapacity
    }

    /// A `race.version_path` or `verify.id_from` JSONPath that names one value (`$.a.b`, `$.items[0].id`), as a
    /// pointer; `nil` for paths with wildcards or descendants, which can name many.
    public static func singleValuePointer(_ path: JSONPath) -> JSONPointer? {
        path.singleValuePointer
    }
}

/// `verify:` on a route with `mirror_writes: true`: after both writes complete, read the record back from
/// legacy and from the candidate (which reads its sister datastores) and compare the two reads.
public struct WriteVerification: Sendable {
    /// `verify.read`: the follow-up read, e.g. `GET /api/v1/comments/{id}`.
    public var read: RouteTemplate
    /// `verify.id_from`: where `{id}` (every parameter of `read`) comes from: a path parameter of the write's
    /// own route (`path:id`), or a single-value JSON path into legacy's write response (`$.id`).
    /// Default: the write route's parameter of the same name, else `$.<name>` of legacy's response.
    public var source: Source
    /// `verify.delay`: wait before reading, for replication or queues behind the write. Default `0s`.
    public var delay: Duration

    public enum Source: Sendable, Hashable {
        case pathParameter(String)
        case responseBody(JSONPointer)
        case automatic
    }

    public init(read: RouteTemplate, source: Source = .automatic, delay: Duration = .zero) {
        self.read = read
        self.source = source
        self.delay = delay
    }
}
