/// One versioned schema change: statements run in order inside one transaction, recorded in
/// `schema_migrations` (version, name, applied_at). Versions only grow; a released migration is never edited.
struct Migration: Sendable {
    var version: Int
    var name: String
    var statements: [String]
}

extension Migration {
    /// Refuses a ledger migrated by a newer TapCompare: this one's writer would leave out what the newer schema
    /// records (rollups, columns), and its readers would misread it. `ledger migrate`, `serve` (whose writer migrates
    /// at start-up) and every other writer stop here, before anything is written.
    /// - Parameters:
    ///   - found: the ledger's `schema_migrations` maximum (0 for a new ledger).
    ///   - known: the newest migration this build has.
    static func refuseNewer(found: Int, known: Int, ledger: String) throws(LedgerError) {
        guard found > known else { return }
        throw .schemaTooNew(
            "the ledger \(ledger) has schema version \(found), newer than this tapcompare's \(known): a writer of an older "
                + "schema would leave out what the newer one records. Run the tapcompare that migrated it (or a newer one), "
                + "or point --ledger at another ledger"
        )
    }
}
