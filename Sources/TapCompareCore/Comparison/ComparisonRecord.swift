import Foundation
import NIOCore
import NIOHTTP1

/// Everything the ledger keeps about one comparison: the row of `comparisons` and its `discrepancies`.
///
/// The bodies are the raw material for the ledger's capped, redacted samples; the ledger decides what to keep
/// (samples are kept for mismatches and errors only) and redacts before anything is stored.
public struct ComparisonRecord: Sendable {
    public var id: UUID
    public var recordedAt: Date
    public var requestID: String
    public var method: String
    public var route: String
    /// Path with query string, as received (the ledger redacts configured query parameters).
    public var path: String
    public var legacyStatus: Int?
    public var candidateStatus: Int?
    public var legacyLatency: Duration?
    public var candidateLatency: Duration?
    public var outcome: Outcome
    /// Why the outcome is what it is, for errors, timeouts and skips (`connection refused`, `body_too_large`).
    public var reason: String?
    public var discrepancies: [Discrepancy]
    public var request: RequestSnapshot?
    /// Legacy's response body as received (still `Content-Encoding`-encoded).
    public var legacyBody: ByteBuffer?
    /// The candidate's response body as received.
    public var candidateBody: ByteBuffer?
    /// Legacy's `Content-Encoding` values: the ledger decodes ``legacyBody`` with them before redacting it.
    public var legacyContentEncoding: [String] = []
    /// The candidate's `Content-Encoding` values.
    public var candidateContentEncoding: [String] = []
    public var runID: String?
    public var linkedComparisonID: UUID?
    /// For a store check, the `stores:` entry read after the write ``linkedComparisonID``; `nil` for HTTP answers.
    public var store: String?
    /// The candidate build that answered (`comparison.version_header`); `nil` when none is configured or the
    /// candidate sent none.
    public var candidateVersion: CandidateVersion?
    /// For a gRPC call, each side's status, message and (for the outcomes whose samples the ledger keeps) decoded
    /// messages; `nil` for HTTP exchanges.
    public var grpc: GRPCExchangeRecord?

    public init(
        id: UUID,
        recordedAt: Date,
        requestID: String,
        method: String,
        route: String,
        path: String,
        legacyStatus: Int?,
        candidateStatus: Int?,
        legacyLatency: Duration?,
        candidateLatency: Duration?,
        outcome: Outcome,
        reason: String? = nil,
        discrepancies: [Discrepancy] = [],
        request: RequestSnapshot? = nil,
        legacyBody: ByteBuffer? = nil,
        candidateBody: ByteBuffer? = nil,
        runID: String? = nil,
        linkedComparisonID: UUID? = nil,
        store: String? = nil,
        candidateVersion: CandidateVersion? = nil
    ) {
        self.id = id
        self.recordedAt = recordedAt
        self.requestID = requestID
        self.method = method
        self.route = route
        self.path = path
        self.legacyStatus = legacyStatus
        self.candidateStatus = candidateStatus
        self.legacyLatency = legacyLatency
        self.candidateLatency = candidateLatency
        self.outcome = outcome
        self.reason = reason
        self.discrepancies = discrepancies
        self.request = request
        self.legacyBody = legacyBody
        self.candidateBody = candidateBody
        self.runID = runID
        self.linkedComparisonID = linkedComparisonID
        self.store = store
        self.candidateVersion = candidateVersion
    }

    /// The number of discrepancies, as stored in `comparisons.discrepancy_count`.
    public var discrepancyCount: Int { self.discrepancies.count }
}

/// Where comparison results go: the ledger's batch writer in `serve` and `replay`, a recorder in tests.
///
/// - Warning: ``record(_:)`` must return at once and never block: a full queue spools or drops (and counts).
public protocol ComparisonRecordSink: Sendable {
    func record(_ record: ComparisonRecord)
}

extension ComparisonRecord {
    /// The record of an exchange before its candidate side is judged: the exchange's ids, route, request and
    /// legacy side, with `outcome` and `reason` as given. The diff engine fills in the rest; a skipped exchange
    /// is recorded as it is.
    public init(exchange: Exchange, outcome: Outcome, reason: String? = nil, recordedAt: Date = Date()) {
        self.init(
            id: exchange.id,
            recordedAt: recordedAt,
            requestID: exchange.requestID,
            method: exchange.request.method.rawValue,
            route: exchange.route,
            path: exchange.request.uri,
            legacyStatus: Int(exchange.legacy.status.code),
            candidateStatus: nil,
            legacyLatency: exchange.legacyLatency,
            candidateLatency: nil,
            outcome: outcome,
            reason: reason,
            runID: exchange.runID,
            linkedComparisonID: exchange.linkedComparisonID
        )
    }
}
