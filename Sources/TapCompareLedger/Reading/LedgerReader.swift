import Logging
import ServiceLifecycle

/// The read side of the ledger: every statement that reads the ledger's tables (plus the two tables reviewers
/// write, `annotations` and `problem_status`) lives in this type's extensions, so the ledger module is the only
/// owner of its SQL. `tapcompare report`, `verdict`, the review UI and its API read through it.
///
/// A reader is a `Service` with connections of its own (a small pool on Postgres, one connection on SQLite),
/// opened from the same ``LedgerURL`` the writer's ``LedgerStore`` uses: run it in the `ServiceGroup`, or use
/// ``LedgerReaders/withReader(url:logger:_:)``. It never migrates the ledger it reads: each feature newer than
/// schema version 1 is read only once its migration is there (``MigrationAvailability``).
public final class LedgerReader: Service, Sendable {
    /// The URL the reader was opened with (prints without its password).
    public let url: LedgerURL
    let database: any LedgerReadDatabase
    /// Schema version 2: the hourly rollups.
    let rollups = MigrationAvailability(version: 2)
    /// Schema version 4: `comparisons.store`, the store checks.
    let stores = MigrationAvailability(version: 4)
    /// Schema version 6: `problem_status`, the reviewers' statuses of problems.
    let problemStatusTable = MigrationAvailability(version: 6)
    /// Schema version 7: `comparisons.candidate_version`, the versions a problem was seen with.
    let candidateVersions = MigrationAvailability(version: 7)
    /// Schema version 8: the gRPC columns of `comparisons` (status, message and messages per side).
    let grpcColumns = MigrationAvailability(version: 8)

    init(url: LedgerURL, database: any LedgerReadDatabase) {
        self.url = url
        self.database = database
    }

    /// Whether several reads may run at once (Postgres' pool); on SQLite callers read one after the other.
    public var allowsConcurrentQueries: Bool { self.database.allowsConcurrentQueries }

    var dialect: SQLDialect { self.database.dialect }

    /// Runs the connections until graceful shutdown (Postgres: the pool; SQLite: closes the connection then).
    public func run() async throws {
        try await self.database.run()
    }
}

/// Opens the reader a ``LedgerURL`` names.
public enum LedgerReaders {
    /// The reader for `url`, not yet running: run it as a `Service` (or use ``withReader(url:logger:_:)``).
    public static func make(url: LedgerURL, logger: Logger) -> LedgerReader {
        switch url.backend {
        case .postgres(let postgres):
            return LedgerReader(url: url, database: PostgresReadDatabase(postgres: postgres, url: url, logger: logger))
        case .sqlite(let path):
            return LedgerReader(url: url, database: SQLiteReadDatabase(path: path, logger: logger))
        }
    }

    /// Runs a reader for the duration of `body` (for commands and tests outside a `ServiceGroup`).
    public static func withReader<T: Sendable>(
        url: LedgerURL,
        logger: Logger,
        _ body: @Sendable (LedgerReader) async throws -> T
    ) async throws -> T {
        let reader = Self.make(url: url, logger: logger)
        return try await withRunningService(reader) { try await body(reader) }
    }
}
