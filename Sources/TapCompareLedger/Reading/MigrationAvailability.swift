import NIOConcurrencyHelpers

/// Whether the ledger has applied one schema migration, asked once per reader: a ledger is never downgraded, so a
/// yes is kept; a no is asked again (the writer may migrate the ledger while the UI runs).
///
/// The reader reads ledgers it does not migrate (`tapcompare report` and `tapcompare ui` never change the
/// schema), so each feature newer than version 1 is read only once its migration is there: version 2 the hourly
/// rollups, version 4 the `store` column of store checks (see ``LedgerReader``).
final class MigrationAvailability: Sendable {
    /// The migration's version.
    let version: Int
    private let known = NIOLockedValueBox(false)

    init(version: Int) {
        self.version = version
    }

    func check(_ database: any LedgerReadDatabase) async throws -> Bool {
        if self.known.withLockedValue({ $0 }) { return true }
        var sql = SQLBuilder(database.dialect)
        sql.append("SELECT count(*) FROM \(database.dialect.table("schema_migrations")) WHERE version = ")
        sql.bind(.int(self.version))
        let rows = try await database.query(sql.sql, sql.binds)
        let present = (rows.first?.int(0) ?? 0) > 0
        if present { self.known.withLockedValue { $0 = true } }
        return present
    }
}
