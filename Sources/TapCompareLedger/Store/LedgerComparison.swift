import Foundation

/// One row of `comparisons` with its `discrepancies`, exactly as stored: redacted, samples capped, time rounded to
/// the millisecond (so a spooled copy replays to the same primary key).
///
/// This is also the spool's unit (encoded as JSON), and what ``LedgerReader/comparison(id:)`` returns.
public struct LedgerComparison: Sendable, Hashable, Codable {
    public var id: UUID
    public var recordedAt: Date
    public var instance: String
    public var requestID: String
    public var method: String
    public var route: String
    /// Path and query, configured query parameters redacted.
    public var path: String
    public var legacyStatus: Int?
    public var candidateStatus: Int?
    public var legacyMilliseconds: Double?
    public var candidateMilliseconds: Double?
    /// An `Outcome` raw value: `match`, `mismatch`, `candidate_error`, `candidate_timeout`, `skipped`.
    public var outcome: String
    public var reason: String?
    public var discrepancyCount: Int
    /// Discrepancies classified `regression` (what the mismatch rate counts).
    public var regressionCount: Int
    /// Request line, redacted headers and body, capped at `ledger.max_sample_bytes`; mismatches and errors only.
    public var requestSample: String?
    public var legacySample: String?
    public var candidateSample: String?
    /// Whether any sample was cut at the cap (or the proxy held only part of a body).
    public var samplesTruncated: Bool
    public var runID: String?
    public var linkedComparisonID: UUID?
    /// The `stores:` entry a store check read; `nil` for HTTP comparisons. Optional in the spool's JSON, so frames
    /// written before the column existed replay.
    public var store: String?
    /// The candidate build that answered (`comparison.version_header`, bounded to 64 printable ASCII bytes);
    /// `nil` when none was recorded. Optional in the spool's JSON, so frames written before the column existed
    /// (schema version 7) replay.
    public var candidateVersion: String?
    /// For a gRPC call, each side's status, message and decoded messages (schema version 8); `nil` for HTTP.
    public var grpc: LedgerGRPC?
    public var discrepancies: [LedgerDiscrepancy]

    public init(
        id: UUID, recordedAt: Date, instance: String, requestID: String, method: String, route: String, path: String,
        legacyStatus: Int?, candidateStatus: Int?, legacyMilliseconds: Double?, candidateMilliseconds: Double?,
        outcome: String, reason: String?, discrepancyCount: Int, regressionCount: Int,
        requestSample: String?, legacySample: String?, candidateSample: String?, samplesTruncated: Bool,
        runID: String?, linkedComparisonID: UUID?, store: String? = nil, candidateVersion: String? = nil, grpc: LedgerGRPC? = nil,
        discrepancies: [LedgerDiscrepancy]
    ) {
        self.id = id
        self.recordedAt = recordedAt
        self.instance = instance
        self.requestID = requestID
        self.method = method
        self.route = route
        self.path = path
        self.legacyStatus = legacyStatus
        self.candidateStatus = candidateStatus
        self.legacyMilliseconds = legacyMilliseconds
        self.candidateMilliseconds = candidateMilliseconds
        self.outcome = outcome
        self.reason = reason
        self.discrepancyCount = discrepancyCount
        self.regressionCount = regressionCount
        self.requestSample = requestSample
        self.legacySample = legacySample
        self.candidateSample = candidateSample
        self.samplesTruncated = samplesTruncated
        self.runID = runID
        self.linkedComparisonID = linkedComparisonID
        self.store = store
        self.candidateVersion = candidateVersion
        self.grpc = grpc
        self.discrepancies = discrepancies
    }
}

/// One row of `discrepancies`.
public struct LedgerDiscrepancy: Sendable, Hashable, Codable {
    /// RFC 6901 pointer into the body (`/replies/3/score`), `""` for status and header discrepancies.
    public var path: String
    /// Grouping key: `$.replies[*].score`, `status` or `header:<name>`.
    public var field: String
    /// A `DiscrepancyKind` raw value.
    public var kind: String
    /// Valid JSON text (`42`, `"abc"`, `{"a":1}`) or `nil` when legacy has no value there.
    public var legacyValue: String?
    public var candidateValue: String?
    /// A `Classification` raw value; `regression` unless classification decided otherwise.
    public var classification: String

    public init(path: String, field: String, kind: String, legacyValue: String?, candidateValue: String?, classification: String) {
        self.path = path
        self.field = field
        self.kind = kind
        self.legacyValue = legacyValue
        self.candidateValue = candidateValue
        self.classification = classification
    }
}

/// A `ledger_gaps` row: comparisons that were dropped (spool full, queue full, rejected, a spool frame that cannot
/// be read) and are missing from the ledger, written once the ledger is reachable again.
public struct LedgerGap: Sendable, Hashable, Codable {
    public var id: UUID
    public var instance: String
    /// `recorded_at` of the first and last dropped comparison. For comparisons that cannot be read (a damaged
    /// spool frame), what the spool tells: from the newest comparison replayed before them (or their segment's last
    /// write), less `ledger.flush_interval` and `ledger.write_timeout`, to their segment's last write.
    public var from: Date
    public var to: Date
    /// How many comparisons are missing; 0 when that is unknown (`spool_corrupt`: a damaged spool frame, whose
    /// comparisons cannot be counted), never when none are.
    public var count: Int
    /// `spool_full`, `queue_full`, `rejected`, ….
    public var reason: String

    public init(id: UUID = UUID(), instance: String, from: Date, to: Date, count: Int, reason: String) {
        self.id = id
        self.instance = instance
        self.from = from
        self.to = to
        self.count = count
        self.reason = reason
    }
}

/// Row counts, for `tapcompare ledger status` and tests.
public struct LedgerCounts: Sendable, Hashable {
    public var comparisons: Int
    public var discrepancies: Int
    public var gaps: Int
    /// Sum of `ledger_gaps.count`.
    public var droppedInGaps: Int

    public init(comparisons: Int, discrepancies: Int, gaps: Int, droppedInGaps: Int) {
        self.comparisons = comparisons
        self.discrepancies = discrepancies
        self.gaps = gaps
        self.droppedInGaps = droppedInGaps
    }
}

/// What `prune` removed.
public struct LedgerPruneResult: Sendable, Hashable {
    /// Postgres: the dropped partitions' names. SQLite: empty.
    public var droppedPartitions: [String]
    /// SQLite: comparisons deleted. Postgres: `nil` (whole partitions are dropped without counting rows).
    public var deletedComparisons: Int?

    public init(droppedPartitions: [String], deletedComparisons: Int?) {
        self.droppedPartitions = droppedPartitions
        self.deletedComparisons = deletedComparisons
    }
}

extension Date {
    /// The date rounded down to a whole millisecond, the precision both backends keep.
    var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (self.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}

/// An `annotations` row: a reviewer's verdict on a field ("mark as noise" in the UI).
public struct LedgerAnnotation: Sendable, Hashable {
    /// Assigned by the database; ignored on insert.
    public var id: Int
    public var route: String
    public var field: String
    /// `nil`: every kind of discrepancy of that field.
    public var kind: String?
    /// A `Classification` raw value: `regression`, `noise` or `race`.
    public var classification: String
    public var note: String?
    public var createdBy: String?
    /// Assigned by the database (its clock); ignored on insert.
    public var createdAt: Date

    public init(id: Int = 0, route: String, field: String, kind: String? = nil, classification: String, note: String? = nil, createdBy: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.route = route
        self.field = field
        self.kind = kind
        self.classification = classification
        self.note = note
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}
