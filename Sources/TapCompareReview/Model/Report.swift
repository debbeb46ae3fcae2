import TapCompareCore
import Foundation
import TapCompareLedger

/// The whole report: what `tapcompare report` prints in every format and what `/api/v1/report` returns.
///
/// Encoded by ``ReportJSON`` with snake_case keys; the format is documented in `docs/report-json.md` and versioned
/// by ``schemaVersion``: keys are only ever added within a version. Optional values are omitted when unknown.
public struct Report: Sendable, Codable, Hashable {
    /// The version of this JSON format; bumped only when a key changes meaning or disappears.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var generatedAt: Date
    /// The ledger URL, password hidden.
    public var ledger: String
    public var filter: ReportFilter
    public var overview: Overview
    public var timeline: Timeline
    /// Routes by impact: most comparisons with regressions first.
    public var routes: [RouteReport]
    /// `ledger_gaps` rows overlapping the window: comparisons known to be missing.
    public var gaps: [GapReport]
    /// Store checks (issue 14) per write route, by impact: the write matrix of stores × outcome. Store checks are
    /// counted here only, never in ``overview``, ``timeline`` or ``routes`` (see ``StoreCheckRoute``).
    public var storeChecks: [StoreCheckRoute]
    /// The learned-noise thresholds in force and the fields they classify as noise, as the `serve` instances
    /// active in the window last published them; absent when none did.
    public var learnedNoise: LearnedNoiseReport?
    /// Every regression of the window grouped by signature (route, kind, field template, value shape), most
    /// comparisons first: what is still wrong, as a handful of problems (issue 19). Empty in summaries.
    public var problems: [ProblemSignature]
    /// Whether the window had more regression rows than ``LedgerReportSource/maximumSignatureRows`` (100,000)
    /// and only the newest were grouped.
    public var problemsTruncated: Bool
    /// The window's comparisons grouped by the set of problems they carry ("A and B together: 1,200; A alone:
    /// 300"), most comparisons first, at most ``SignatureSet/maximumListed``: problems that come together are
    /// likely one cause. Over the same regression rows as ``problems``. Empty in summaries.
    public var signatureSets: [SignatureSet]
    /// Comparisons carrying a problem whose set is not listed in ``signatureSets``.
    public var signatureSetsOmitted: Int

    public init(
        generatedAt: Date, ledger: String, filter: ReportFilter, overview: Overview, timeline: Timeline,
        routes: [RouteReport], gaps: [GapReport]
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.generatedAt = generatedAt
        self.ledger = ledger
        self.filter = filter
        self.overview = overview
        self.timeline = timeline
        self.routes = routes
        self.gaps = gaps
        self.storeChecks = []
        self.problems = []
        self.problemsTruncated = false
        self.signatureSets = []
        self.signatureSetsOmitted = 0
    }
}

/// The filter the report was asked for, echoed so a saved report says what it covers.
public struct ReportFilter: Sendable, Codable, Hashable {
    public var from: Date?
    public var to: Date?
    public var route: String?
    public var runId: String?
    public var classification: String?

    public init(_ query: ReportQuery) {
        self.from = query.from
        self.to = query.to
        self.route = query.route
        self.runId = query.runID
        self.classification = query.classification?.rawValue
    }
}

/// A reason and how many comparisons it explains.
public struct ReasonCount: Sendable, Codable, Hashable {
    public var reason: String
    public var count: Int
}

/// A proxy instance and how many comparisons it recorded in the window.
public struct InstanceCount: Sendable, Codable, Hashable {
    public var instance: String
    public var comparisons: Int
}

/// The headline figures.
public struct Overview: Sendable, Codable, Hashable {
    /// First and last `recorded_at` in the window (absent when the window is empty).
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Every ledger row in the window, whatever its outcome.
    public var comparisons: Int
    /// Outcome `match` or `mismatch`: the requests both sides answered.
    public var compared: Int
    public var matches: Int
    /// Outcome `mismatch`, whatever the classification of its discrepancies.
    public var mismatches: Int
    /// Mismatches with at least one discrepancy classified `regression`.
    public var regressed: Int
    /// Mismatches whose discrepancies are all `noise` or `race`.
    public var noiseOrRaceOnly: Int
    /// Of ``noiseOrRaceOnly``, the mismatches with at least one `race` (a production write moved the record):
    /// counted apart from noise, since a race says something about the traffic, noise about the fields.
    public var raceOnly: Int = 0
    /// Of ``noiseOrRaceOnly``, the mismatches that are noise only.
    public var noiseOnly: Int = 0
    /// `regressed / compared` (0 when nothing was compared): noise and races never count.
    public var mismatchRate: Double
    public var candidateErrors: Int
    public var candidateTimeouts: Int
    public var skipped: Int
    public var skipsByReason: [ReasonCount]
    /// Candidate errors and timeouts by reason.
    public var errorsByReason: [ReasonCount]
    public var instances: [InstanceCount]
    /// Comparisons known to be missing (sum of the overlapping gaps' counts).
    public var missingInGaps: Int
}

/// Mismatch rate over time, in equal buckets covering the window.
public struct Timeline: Sendable, Codable, Hashable {
    public var bucketSeconds: Int
    public var buckets: [TimelineBucket]
}

public struct TimelineBucket: Sendable, Codable, Hashable {
    public var start: Date
    public var compared: Int
    public var regressed: Int
    /// `regressed / compared`, 0 for an empty bucket.
    public var mismatchRate: Double
}

/// How often one status code was answered.
public struct StatusCount: Sendable, Codable, Hashable {
    /// Absent when that side did not answer (candidate errors and timeouts).
    public var status: Int?
    public var count: Int
}

/// Nearest-rank latency percentiles in milliseconds, read from the rollups' log-scale buckets: each within
/// `LatencyBuckets.relativeError` (0.99 %) of the exact nearest-rank latency.
public struct Percentiles: Sendable, Codable, Hashable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
}

/// Legacy against candidate latency over the compared requests of a route (the same requests on both sides).
public struct LatencyComparison: Sendable, Codable, Hashable {
    public var legacy: Percentiles?
    public var candidate: Percentiles?
    /// candidate ÷ legacy per percentile: below 1 the candidate is faster.
    public var ratio: Percentiles?
}

/// One route's figures.
public struct RouteReport: Sendable, Codable, Hashable {
    public var route: String
    public var comparisons: Int
    public var compared: Int
    public var matches: Int
    public var mismatches: Int
    public var regressed: Int
    public var noiseOrRaceOnly: Int
    /// Of ``noiseOrRaceOnly``, mismatches with at least one `race`.
    public var raceOnly: Int = 0
    /// Of ``noiseOrRaceOnly``, mismatches that are noise only.
    public var noiseOnly: Int = 0
    /// `regressed / compared`.
    public var mismatchRate: Double
    public var candidateErrors: Int
    public var candidateTimeouts: Int
    public var skipped: Int
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Status codes on each side, most frequent first.
    public var legacyStatus: [StatusCount]
    public var candidateStatus: [StatusCount]
    public var latency: LatencyComparison
    /// Fields by impact: most regressions first, then most occurrences.
    public var fields: [FieldReport]
}

/// One (field, kind) within a route.
public struct FieldReport: Sendable, Codable, Hashable {
    /// `$.replies[*].score`, `status` or `header:<name>`.
    public var field: String
    /// A `DiscrepancyKind` raw value.
    public var kind: String
    /// Discrepancy rows (an array field can differ several times in one comparison).
    public var occurrences: Int
    /// Comparisons with at least one such discrepancy.
    public var comparisons: Int
    /// `comparisons / route compared`.
    public var share: Double
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Occurrences by classification.
    public var regressions: Int
    public var noise: Int
    public var races: Int
    /// The two most recent occurrences.
    public var examples: [FieldExample]
    /// Present when the data looks like noise.
    public var suggestion: NoiseSuggestion?
    /// The latest reviewer verdict on this field (from `annotations`), if any.
    public var annotation: String?
}

/// One occurrence of a field's discrepancy, as the ledger's reader returns it.
public typealias FieldExample = LedgerFieldExample

/// "This field is probably noise": the evidence and the rule that would silence it.
public struct NoiseSuggestion: Sendable, Codable, Hashable {
    public var reason: String
    /// How many recent occurrences were inspected, and how many distinct values each side had among them.
    public var sampled: Int
    public var distinctLegacy: Int
    public var distinctCandidate: Int
    /// The `diff-rules/` YAML block to add.
    public var rule: String
}

/// A `ledger_gaps` row overlapping the window.
public struct GapReport: Sendable, Codable, Hashable {
    public var instance: String
    public var from: Date?
    public var to: Date?
    /// 0 when how many is unknown (``LedgerGap/count``).
    public var count: Int
    public var reason: String
}
