import Foundation

/// One request with both upstream answers: the unit handed from the proxy (or replay) to the comparison stage.
///
/// An exchange is only produced for requests that were sampled for comparison; requests that were not sampled
/// are counted in metrics (``SkipReason/notSampled``) and produce nothing else.
public struct Exchange: Sendable {
    /// The comparison's id, unique across instances (UUIDv7, so ids sort by time).
    public var id: UUID
    /// The request id passed to both upstreams in `X-Request-Id`.
    public var requestID: String
    /// The route template that names this request everywhere downstream, e.g. `GET /api/v1/comments/{id}`.
    public var route: String
    /// Wall-clock time the request arrived.
    public var startedAt: Date
    public var request: RequestSnapshot
    /// Legacy's answer, which is also what the client received.
    public var legacy: ResponseSnapshot
    public var legacyLatency: Duration
    public var candidate: CandidateResult
    /// The replay run that produced this exchange, `nil` for live traffic.
    public var runID: String?
    /// For a write-verification read (issue 7), the comparison of the write it verifies.
    public var linkedComparisonID: UUID?

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
}
