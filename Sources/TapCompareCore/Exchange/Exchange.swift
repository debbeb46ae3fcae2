import Foundation

/// One request with both upstream answers: the unit handed from the proxy (or replay) to the comparison stage.
///
/// An exchange is only produced for requests that were sampled for comparison; requests that were not sampled
/// are counted in metrics (``SkipReason/notSampled``) and produce nothing else.
public struct Exchange: Sendable {
    /// The comparison's id, unique across instances (UUIDv7, so ids sort by time).
    public var id: UUID {
        get { self.storage.id }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.id
        }
    }
    /// The request id passed to both upstreams in `X-Request-Id`.
    public var requestID: String {
        get { self.storage.requestID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.requestID
        }
    }
    /// The route template that names this request everywhere downstream, e.g. `GET /api/v1/comments/{id}`.
    public var route: String {
        get { self.storage.route }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.route
        }
    }
    /// Wall-clock time the request arrived.
    public var startedAt: Date {
        get { self.storage.startedAt }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.startedAt
        }
    }
    public var request: RequestSnapshot {
        get { self.storage.request }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.request
        }
    }
    /// Legacy's answer, which is also what the client received.
    public var legacy: ResponseSnapshot {
        get { self.storage.legacy }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacy
        }
    }
    public var legacyLatency: Duration {
        get { self.storage.legacyLatency }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.legacyLatency
        }
    }
    public var candidate: CandidateResult {
        get { self.storage.candidate }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.candidate
        }
    }
    /// The replay run that produced this exchange, `nil` for live traffic.
    public var runID: String? {
        get { self.storage.runID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.runID
        }
    }
    /// For a write-verification read (issue 7), the comparison of the write it verifies.
    public var linkedComparisonID: UUID? {
        get { self.storage.linkedComparisonID }
        _modify {
            let storage = self.uniqueStorage()
            yield &storage.linkedComparisonID
        }
    }

    /// The fields, in one copy-on-write box: an exchange is handed from the loop to its batch, to the comparison
    /// queue and to a worker, and a copy of the struct retained and released each of its twenty-odd references
    /// (1.1% of the proxy's time at sample rate 1.0, `perf`, issue 16), where a copy of the box is one retain.
    private var storage: Storage

    public init(
        id: UUID = UUID.v7(),
        requestID: String,
        route: String,
        startedAt: Date = Date(),
        request: RequestSnapshot,
        legacy: ResponseSnapshot,
        legacyLatency: Duration,
        candidate: CandidateResult,
        runID: String? = nil,
        linkedComparisonID: UUID? = nil
    ) {
        self.storage = Storage(
            id: id, requestID: requestID, route: route, startedAt: startedAt, request: request, legacy: legacy,
            legacyLatency: legacyLatency, candidate: candidate, runID: runID, linkedComparisonID: linkedComparisonID
        )
    }

    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&self.storage) {
            self.storage = self.storage.copy()
        }
        return self.storage
    }

    /// `@unchecked Sendable`: a box is mutated only through ``uniqueStorage()``, when no other exchange shares it
    /// (the copy-on-write rule of the standard library's collections), so a box another thread can see is never
    /// written.
    private final class Storage: @unchecked Sendable {
        var id: UUID
        var requestID: String
        var route: String
        var startedAt: Date
        var request: RequestSnapshot
        var legacy: ResponseSnapshot
        var legacyLatency: Duration
        var candidate: CandidateResult
        var runID: String?
        var linkedComparisonID: UUID?

        init(
            id: UUID, requestID: String, route: String, startedAt: Date, request: RequestSnapshot, legacy: ResponseSnapshot,
            legacyLatency: Duration, candidate: CandidateResult, runID: String?, linkedComparisonID: UUID?
        ) {
            self.id = id
            self.requestID = requestID
            self.route = route
            self.startedAt = startedAt
            self.request = request
            self.legacy = legacy
            self.legacyLatency = legacyLatency
            self.candidate = candidate
            self.runID = runID
            self.linkedComparisonID = linkedComparisonID
        }

        func copy() -> Storage {
            Storage(
                id: self.id, requestID: self.requestID, route: self.route, startedAt: self.startedAt, request: self.request,
                legacy: self.legacy, legacyLatency: self.legacyLatency, candidate: self.candidate, runID: self.runID,
                linkedComparisonID: self.linkedComparisonID
            )
        }
    }
}
