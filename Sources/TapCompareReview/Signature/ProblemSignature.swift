import Foundation

/// One problem: every regression with the same route, kind, field template and value shape (``ValueShape``) —
/// "5 problems" instead of 40,000 rows. Shown first in `report` (issue 19).
public struct ProblemSignature: Sendable, Codable, Hashable {
    /// A stable id over route, kind, field and shape (the first 12 hex digits of their SHA-256), for links.
    public var id: String
    public var route: String
    /// A `DiscrepancyKind` raw value.
    public var kind: String
    /// The field template (`$.comments[*].score`): ids and indices are already folded.
    public var field: String
    /// `int→string`, `string: trailing whitespace trimmed`, `number: rounded`, `missing in candidate`, …
    public var shape: String
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Regression rows with this signature.
    public var occurrences: Int
    /// Comparisons carrying it.
    public var comparisons: Int
    /// `comparisons / the route's compared requests`.
    public var share: Double
    /// The most recent comparisons carrying it (at most ``ProblemSignature/maximumExamples``), newest first.
    public var exampleComparisonIds: [String]

    public static let maximumExamples = 3
}

/// One regression row, as the signature grouping reads it.
public struct RegressionRow: Sendable, Hashable {
    public var comparisonId: String
    public var recordedAt: Date?
    public var route: String
    public var field: String
    public var kind: String
    public var legacyValue: String?
    public var candidateValue: String?

    public init(comparisonId: String, recordedAt: Date?, route: String, field: String, kind: String, legacyValue: String?, candidateValue: String?) {
        self.comparisonId = comparisonId
        self.recordedAt = recordedAt
        self.route = route
        self.field = field
        self.kind = kind
        self.legacyValue = legacyValue
        self.candidateValue = candidateValue
    }
}
