import ServiceLifecycle

/// The connection a ``LedgerReader`` runs its statements on: a pool of its own on Postgres
/// (``PostgresReadDatabase``), one WAL-mode connection on SQLite (``SQLiteReadDatabase``).
///
/// Kept apart from the writer's store on purpose: reports and the UI run their own aggregate queries and must never
/// queue behind, or hold up, the proxy's batch writer.
protocol LedgerReadDatabase: Service, Sendable {
    var dialect: SQLDialect { get }
    /// Whether several queries may run at once (a Postgres pool; SQLite has one connection).
    var allowsConcurrentQueries: Bool { get }
    /// Runs one statement with bound values and returns every row.
    /// - Throws: ``LedgerError`` naming the ledger and the database's message: `storeUnavailable` when the ledger
    ///   cannot be opened or is not a ledger, `queryFailed` when a statement fails.
    func query(_ sql: String, _ binds: [LedgerReadValue]) async throws -> [LedgerReadRow]
}
