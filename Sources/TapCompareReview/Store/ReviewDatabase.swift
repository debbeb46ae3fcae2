import Foundation
import Logging
import ServiceLifecycle
import TapCompareLedger

/// The read side of the ledger (plus the one table reviewers write: `annotations`).
///
/// Kept apart from the ledger's writer store on purpose: reports and the UI run their own aggregate queries and
/// must never queue behind, or hold up, the proxy's batch writer.
public protocol ReviewDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Whether several queries may run at once (a Postgres pool; SQLite has one connection).
    var allowsConcurrentQueries: Bool { get }
    /// Runs one statement with bound values and returns every row.
    /// - Throws: ``ReviewError`` naming the ledger and the database's message.
    func query(_ sql: String, _ binds: [ReviewValue]) async throws -> [ReviewRow]
}

/// Opens the review database a ``LedgerURL`` names.
public enum ReviewDatabases {
    /// A database for `url`, plus a `Service` that must run while it is used (the Postgres pool; for SQLite it
    /// closes the connection at shutdown).
    public static func make(url: LedgerURL, logger: Logger) -> any ReviewDatabase & Service {
        switch url.backend {
        case .postgres(let postgres):
            return PostgresReviewDatabase(postgres: postgres, url: url, logger: logger)
        case .sqlite(let path):
            return SQLiteReviewDatabase(path: path, logger: logger)
        }
    }

    /// Runs a database for the duration of `body` (for commands and tests outside a `ServiceGroup`).
    public static func withDatabase<T: Sendable>(
        url: LedgerURL,
        logger: Logger,
        _ body: @Sendable (any ReviewDatabase) async throws -> T
    ) async throws -> T {
        let database = Self.make(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }
}
