/// One difference between the legacy and the candidate response.
public struct Discrepancy: Sendable, Hashable, Codable {
    /// Where the difference is: an RFC 6901 JSON Pointer into the body (`/replies/3/score`, `""` for the whole
    /// body). For ``DiscrepancyKind/status`` the path is `""`; for ``DiscrepancyKind/header`` it is `""` too.
    public var path: String
    /// The path with array indices collapsed, used for grouping (`$.replies[*].score`). For a status
    /// discrepancy the field is `status`; for a header, `header:<lower-cased name>`.
    public var field: String
    public var kind: DiscrepancyKind
    /// The legacy value as JSON text (`"42"`, `"\"abc\""`), `nil` when legacy has no value there.
    public var legacyValue: String?
    /// The candidate value as JSON text, `nil` when the candidate has no value there.
    public var candidateValue: String?
    public var classification: Classification

    public init(
        path: String,
        field: String,
        kind: DiscrepancyKind,
        legacyValue: String?,
        candidateValue: String?,
        classification: Classification = .regression
    ) {
        self.path = path
        self.field = field
        self.kind = kind
        self.legacyValue = legacyValue
        self.candidateValue = candidateValue
        self.classification = classification
    }
}
