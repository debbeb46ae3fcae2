import NIOConcurrencyHelpers

/// Whether the ledger has the hourly rollups (schema version 2), asked once per source: a ledger is never
/// downgraded, so a yes is kept; a no is asked again (the writer may migrate the ledger while the UI runs).
final class RollupAvailability: Sendable {
    private let known = NIOLockedValueBox(false)

    func check(_ database: any ReviewDatabase) async throws -> Bool {
        if self.known.withLockedValue({ $0 }) { return true }
        let rows = try await database.query(
            "SELECT count(*) FROM \(database.dialect.table("schema_migrations")) WHERE version = 2", []
        )
        let present = (rows.first?.int(0) ?? 0) > 0
        if present { self.known.withLockedValue { $0 = true } }
        return present
    }
}
