import Foundation

/// A reviewer's status of a problem as stored in the ledger's `problem_status` table (schema version 6), one row
/// per signature.
public struct LedgerProblemStatus: Sendable, Codable, Hashable {
    public var signature: String
    public var route: String
    public var kind: String
    public var field: String
    public var shape: String
    /// `open`, `accepted` or `fixed` (the table's check refuses anything else).
    public var status: String
    public var note: String?
    public var setBy: String?
    public var setAt: Date?

    public init(signature: String, route: String, kind: String, field: String, shape: String, status: String, note: String?, setBy: String?, setAt: Date?) {
        self.signature = signature
        self.route = route
        self.kind = kind
        self.field = field
        self.shape = shape
        self.status = status
        self.note = note
        self.setBy = setBy
        self.setAt = setAt
    }
}
