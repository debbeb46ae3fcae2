import Foundation

/// One comparison with its samples and discrepancies: the drill-down's last step (`/api/v1/comparisons/{id}`).
public struct ComparisonDetail: Sendable, Codable, Hashable {
    public var id: String
    public var recordedAt: Date?
    public var instance: String
    public var requestId: String
    public var method: String
    public var route: String
    public var path: String
    public var legacyStatus: Int?
    public var candidateStatus: Int?
    public var legacyMs: Double?
    public var candidateMs: Double?
    public var outcome: String
    public var reason: String?
    public var discrepancyCount: Int
    public var regressionCount: Int
    /// Request line, headers (sensitive ones redacted) and body; kept for mismatches and errors only.
    public var requestSample: String?
    public var legacySample: String?
    public var candidateSample: String?
    public var samplesTruncated: Bool
    public var runId: String?
    /// For a write-verification read or a store check, the comparison of the write it verifies.
    public var linkedComparisonId: String?
    /// For a store check, the `stores:` entry it read (`linked_comparison_id` is then its write).
    public var store: String?
    /// The candidate build that answered (`comparison.version_header`), when recorded.
    public var candidateVersion: String?
    /// For a gRPC call, each side's status (with its name), message and decoded messages with their byte counts.
    public var grpc: GRPCDetail?
    public var discrepancies: [DiscrepancyDetail]
    /// For a write, the store checks of it, by store name (empty for anything else).
    public var storeChecks: [StoreCheckLink]
}

/// One stored discrepancy of a comparison.
public struct DiscrepancyDetail: Sendable, Codable, Hashable {
    public var ordinal: Int
    public var path: String
    public var field: String
    public var kind: String
    public var legacyValue: String?
    public var candidateValue: String?
    public var classification: String
}

/// A reviewer's verdict on a field, stored in `annotations`.
public struct Annotation: Sendable, Codable, Hashable {
    public var id: Int
    public var route: String
    public var field: String
    public var kind: String?
    public var classification: String
    public var note: String?
    public var createdBy: String?
    public var createdAt: Date?
    /// For `noise`: the `diff-rules/` YAML block that stops the proxy reporting the field (absent for fields an
    /// `ignore` rule cannot name: status and headers).
    public var rule: String?
}

/// What `POST /api/v1/annotations` accepts.
public struct NewAnnotation: Sendable, Codable, Hashable {
    public var route: String
    public var field: String
    public var kind: String?
    /// Default `noise`.
    public var classification: String?
    public var note: String?
    public var createdBy: String?

    public init(route: String, field: String, kind: String? = nil, classification: String? = nil, note: String? = nil, createdBy: String? = nil) {
        self.route = route
        self.field = field
        self.kind = kind
        self.classification = classification
        self.note = note
        self.createdBy = createdBy
    }
}
