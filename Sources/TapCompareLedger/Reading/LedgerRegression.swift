import Foundation

/// One discrepancy classified `regression`, as the review's signature grouping reads it
/// (``LedgerReader/regressions(_:limit:)``).
public struct LedgerRegression: Sendable, Hashable {
    public var comparisonId: String
    public var recordedAt: Date?
    public var route: String
    public var field: String
    public var kind: String
    public var legacyValue: String?
    public var candidateValue: String?
    /// The candidate version of its comparison (schema version 7), `nil` when none was recorded.
    public var candidateVersion: String?

    public init(
        comparisonId: String, recordedAt: Date?, route: String, field: String, kind: String, legacyValue: String?, candidateValue: String?,
        candidateVersion: String? = nil
    ) {
        self.comparisonId = comparisonId
        self.recordedAt = recordedAt
        self.route = route
        self.field = field
        self.kind = kind
        self.legacyValue = legacyValue
        self.candidateValue = candidateValue
        self.candidateVersion = candidateVersion
    }
}
