import Foundation
import NIOCore
import NIOHTTP1

/// Everything the ledger keeps about one comparison: the row of `comparisons` and its `discrepancies`.
///
/// The bodies are the raw material for the ledger's capped, redacted samples; the ledger decides what to keep
/// (samples are kept for mismatches and errors only) and redacts before anything is stored.
public struct ComparisonRecord: Sendable {
    public var id: UUID {
        get { self.storage.id }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.id
        }
    }
    public var recordedAt: Date {
        get { self.storage.recordedAt }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.recordedAt
        }
    }
    public var requestID: String {
        get { self.storage.requestID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.requestID
        }
    }
    public var method: String {
        get { self.storage.method }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.method
        }
    }
    public var route: String {
        get { self.storage.route }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.route
        }
    }
    /// Path with query string, as received (the ledger redacts configured query parameters).
    public var path: String {
        get { self.storage.path }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.path
        }
    }
    public var legacyStatus: Int? {
        get { self.storage.legacyStatus }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacyStatus
        }
    }
    public var candidateStatus: Int? {
        get { self.storage.candidateStatus }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidateStatus
        }
    }
    public var legacyLatency: Duration? {
        get { self.storage.legacyLatency }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacyLatency
        }
    }
    public var candidateLatency: Duration? {
        get { self.storage.candidateLatency }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidateLatency
        }
    }
    public var outcome: Outcome {
        get { self.storage.outcome }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.outcome
        }
    }
    /// Why the outcome is what it is, for errors, timeouts and skips (`connection refused`, `body_too_large`).
    public var reason: String? {
        get { self.storage.reason }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.reason
        }
    }
    public var discrepancies: [Discrepancy] {
        get { self.storage.discrepancies }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.discrepancies
        }
    }
    public var request: RequestSnapshot? {
        get { self.storage.request }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.request
        }
    }
    /// Legacy's response body as received (still `Content-Encoding`-encoded).
    public var legacyBody: ByteBuffer? {
        get { self.storage.legacyBody }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacyBody
        }
    }
    /// The candidate's response body as received.
    public var candidateBody: ByteBuffer? {
        get { self.storage.candidateBody }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidateBody
        }
    }
    /// Legacy's `Content-Encoding` values: the ledger decodes ``legacyBody`` with them before redacting it.
    public var legacyContentEncoding: [String] {
        get { self.storage.legacyContentEncoding }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacyContentEncoding
        }
    }
    /// The candidate's `Content-Encoding` values.
    public var candidateContentEncoding: [String] {
        get { self.storage.candidateContentEncoding }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidateContentEncoding
        }
    }
    public var runID: String? {
        get { self.storage.runID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.runID
        }
    }
    public var linkedComparisonID: UUID? {
        get { self.storage.linkedComparisonID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.linkedComparisonID
        }
    }
    /// For a store check, the `stores:` entry read after the write ``linkedComparisonID``; `nil` for HTTP answers.
    public var store: String? {
        get { self.storage.store }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.store
        }
    }
    /// The candidate build that answered (`comparison.version_header`); `nil` when none is configured or the
    /// candidate sent none.
    public var candidateVersion: CandidateVersion? {
        get { self.storage.candidateVersion }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidateVersion
        }
    }
    /// For a gRPC call, each side's status, message and (for the outcomes whose samples the ledger keeps) decoded
    /// messages; `nil` for HTTP exchanges.
    public var grpc: GRPCExchangeRecord? {
        get { self.storage.grpc }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.grpc
        }
    }

    /// The fields, in one copy-on-write box: a record goes from a comparison worker to the ledger's queue and on to
    /// its batch, and each copy of the struct retained and released each of its references (0.8% of the proxy's time
    /// at sample rate 1.0, `perf`, issue 16), where a copy of the box is one retain. Mutations stay in place
    /// (`_modify`): the diff engine appends discrepancies one by one.
    private var storage: Storage

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
        self.storage = Storage(
            id: id, recordedAt: recordedAt, requestID: requestID, method: method, route: route, path: path,
            legacyStatus: legacyStatus, candidateStatus: candidateStatus, legacyLatency: legacyLatency,
            candidateLatency: candidateLatency, outcome: outcome, reason: reason, discrepancies: discrepancies,
            request: request, legacyBody: legacyBody, candidateBody: candidateBody, runID: runID,
            linkedComparisonID: linkedComparisonID, store: store, candidateVersion: candidateVersion
        )
    }

    /// The number of discrepancies, as stored in `comparisons.discrepancy_count`.
    public var discrepancyCount: Int { self.discrepancies.count }

    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&self.storage) {
            self.storage = self.storage.copy()
        }
        return self.storage
    }

    /// `@unchecked Sendable`: a box is mutated only through ``uniqueStorage()``, when no other record shares it (the
    /// copy-on-write rule of the standard library's collections), so a box another thread can see is never written.
    private final class Storage: @unchecked Sendable {
        var id: UUID
        var recordedAt: Date
        var requestID: String
        var method: String
        var route: String
        var path: String
        var legacyStatus: Int?
        var candidateStatus: Int?
        var legacyLatency: Duration?
        var candidateLatency: Duration?
        var outcome: Outcome
        var reason: String?
        var discrepancies: [Discrepancy]
        var request: RequestSnapshot?
        var legacyBody: ByteBuffer?
        var candidateBody: ByteBuffer?
        var legacyContentEncoding: [String] = []
        var candidateContentEncoding: [String] = []
        var runID: String?
        var linkedComparisonID: UUID?
        var store: String?
        var candidateVersion: CandidateVersion?
        var grpc: GRPCExchangeRecord? = nil

        init(
            id: UUID, recordedAt: Date, requestID: String, method: String, route: String,
            path: String, legacyStatus: Int?, candidateStatus: Int?, legacyLatency: Duration?, candidateLatency: Duration?,
            outcome: Outcome, reason: String?, discrepancies: [Discrepancy], request: RequestSnapshot?, legacyBody: ByteBuffer?,
            candidateBody: ByteBuffer?, runID: String?, linkedComparisonID: UUID?, store: String?, candidateVersion: CandidateVersion?
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

        func copy() -> Storage {
            let copy = Storage(
                id: self.id, recordedAt: self.recordedAt, requestID: self.requestID, method: self.method,
                route: self.route, path: self.path, legacyStatus: self.legacyStatus,
                candidateStatus: self.candidateStatus, legacyLatency: self.legacyLatency,
                candidateLatency: self.candidateLatency, outcome: self.outcome, reason: self.reason,
                discrepancies: self.discrepancies, request: self.request, legacyBody: self.legacyBody,
                candidateBody: self.candidateBody, runID: self.runID, linkedComparisonID: self.linkedComparisonID,
                store: self.store, candidateVersion: self.candidateVersion
            )
            copy.legacyContentEncoding = self.legacyContentEncoding
            copy.candidateContentEncoding = self.candidateContentEncoding
            copy.grpc = self.grpc
            return copy
        }
    }
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
