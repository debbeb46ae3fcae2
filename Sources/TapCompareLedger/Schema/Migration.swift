/// One versioned schema change: statements run in order inside one transaction, recorded in
/// `schema_migrations` (version, name, applied_at). Versions only grow; a released migration is never edited.
struct Migration: Sendable {
    var version: Int
    var name: String
    var statements: [String]
}
