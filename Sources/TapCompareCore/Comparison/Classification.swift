/// What a discrepancy is judged to be. Until noise detection runs, every discrepancy is a ``regression``.
public enum Classification: String, Sendable, Hashable, CaseIterable, Codable {
    /// A real difference the candidate must fix.
    case regression
    /// A difference legacy also shows against itself (ids, clocks, caches).
    case noise
    /// A difference caused by the data changing between the legacy and the candidate read.
    case race
}
