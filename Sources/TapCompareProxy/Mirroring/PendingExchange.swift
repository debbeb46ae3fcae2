import Foundation
import NIOCore
import TapCompareCore

/// One sampled exchange being assembled: the legacy side arrives from the client's connection, the candidate
/// side from its call; whichever finishes last hands the ``Exchange`` to the sink.
///
/// Loop-confined: both sides run on the client connection's event loop.
final class PendingExchange {
    private let sink: any ExchangeSink
    private let metrics: ProxyMetrics
    let id: UUID
    let requestID: String
    let route: String
    let startedAt: Date
    var request: RequestSnapshot
    /// Set when the sampled exchange cannot be compared whatever the candidate does.
    private(set) var skipReason: SkipReason?
    private var legacy: (response: ResponseSnapshot, latency: Duration)?
    private var candidate: CandidateResult?
    private var isFinished = false

    init(sink: any ExchangeSink, metrics: ProxyMetrics, id: UUID, requestID: String, route: String, request: RequestSnapshot) {
        self.sink = sink
        self.metrics = metrics
        self.id = id
        self.requestID = requestID
        self.route = route
        self.startedAt = Date()
        self.request = request
    }

    /// Marks the exchange as not comparable; the first reason wins. The candidate call (if any) still runs
    /// to completion so its in-flight slot is released normally.
    func markSkipped(_ reason: SkipReason) {
        if self.skipReason == nil { self.skipReason = reason }
    }

    func legacyCompleted(_ response: ResponseSnapshot, latency: Duration) {
        guard !self.isFinished else { return }
        self.legacy = (response, latency)
        self.finishIfComplete()
    }

    func candidateCompleted(_ result: CandidateResult) {
        guard !self.isFinished else { return }
        self.candidate = result
        self.finishIfComplete()
    }

    /// The exchange cannot complete (by default: the client went away before it did): no comparison, the
    /// skip counted with `reason`.
    func abandon(_ reason: SkipReason = .clientAborted) {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.metrics.skip(reason)
    }

    private func finishIfComplete() {
        guard let legacy = self.legacy, let candidate = self.candidate else { return }
        self.isFinished = true
        let result: CandidateResult
        if let reason = self.skipReason {
            self.metrics.skip(reason)
            result = .skipped(reason)
        } else {
            if case .skipped(let reason) = candidate { self.metrics.skip(reason) }
            result = candidate
        }
        self.sink.submit(
            Exchange(
                id: self.id,
                requestID: self.requestID,
                route: self.route,
                startedAt: self.startedAt,
                request: self.request,
                legacy: legacy.response,
                legacyLatency: legacy.latency,
                candidate: result
            )
        )
    }
}
