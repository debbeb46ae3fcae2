/// The verdict on one comparison, as stored in the ledger's `comparisons.outcome`.
public enum Outcome: String, Sendable, Hashable, CaseIterable, Codable {
    case match
    case mismatch
    case candidateError = "candidate_error"
    case candidateTimeout = "candidate_timeout"
    case skipped
}
