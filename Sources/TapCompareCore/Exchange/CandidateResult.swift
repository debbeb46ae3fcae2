/// What became of the candidate side of one exchange.
public enum CandidateResult: Sendable, Equatable {
    /// The candidate answered completely.
    case response(ResponseSnapshot, latency: Duration)
    /// The candidate could not be reached, reset, or answered something that is not HTTP.
    case failed(reason: String, latency: Duration)
    /// The candidate did not answer within `mirror.timeout`.
    case timedOut(after: Duration)
    /// The exchange was sampled for comparison but could not be mirrored; nothing was sent, or nothing is comparable.
    case skipped(SkipReason)
}
