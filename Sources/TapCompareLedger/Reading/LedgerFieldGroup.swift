import Foundation

/// One (route, field, kind) group of the discrepancies scan (``LedgerReader/fieldGroups(_:)``).
public struct LedgerFieldGroup: Sendable, Hashable {
    public var route: String
    public var field: String
    public var kind: String
    public var occurrences: Int
    /// Distinct comparisons with the discrepancy (a wildcard field can differ several times in one).
    public var comparisons: Int
    public var regressions: Int
    public var noise: Int
    public var races: Int
    public var first: Date?
    public var last: Date?
}

/// One occurrence of a field's discrepancy (``LedgerReader/examples(route:field:kind:query:limit:)``).
public struct LedgerFieldExample: Sendable, Codable, Hashable {
    public var comparisonId: String
    public var recordedAt: Date?
    /// RFC 6901 pointer into the body (`""` for status and headers).
    public var path: String
    /// JSON text; absent when that side has no value.
    public var legacyValue: String?
    public var candidateValue: String?
    public var classification: String
}
