import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteNIO
import TapCompareLedger
import ServiceLifecycle

/// The review side of an SQLite ledger: one connection, opened on first use.
///
/// The ledger runs in WAL mode, so these reads never block the proxy's writer (and are not blocked by it).
/// A missing file is an error, not a new empty ledger: a typo in `--ledger` must not produce an empty report.
public final class SQLiteReviewDatabase: ReviewDatabase, Service {
    public let dialect = SQLDialect.sqlite
    public let allowsConcurrentQueries = false
    let path: String
    private let logger: Logger
    private let connection = NIOLockedValueBox<SQLiteConnection?>(nil)
    private let opening = NIOLockedValueBox<Task<SQLiteConnection, any Error>?>(nil)

    public init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// Suspends until graceful shutdown (or cancellation), then closes the connection.
    public func run() async throws {
        try? await gracefulShutdown()
        let conn = self.connection.withLockedValue { c -> SQLiteConnection? in defer { c = nil }; return c }
        // Closed from an unstructured task: this task is usually cancelled by now, and sqlite-nio's thread pool
        // refuses work for a cancelled task, which would leave the connection open.
        await Task { try? await conn?.close() }.value
    }

    private func open() async throws -> SQLiteConnection {
        if let conn = self.connection.withLockedValue({ $0 }) { return conn }
        let task = self.opening.withLockedValue { current -> Task<SQLiteConnection, any Error> in
            if let current { return current }
            let path = self.path
            let logger = self.logger
            let task = Task<SQLiteConnection, any Error> {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ReviewError.ledgerUnavailable("no SQLite ledger at '\(path)'; pass --ledger sqlite:PATH (the file `serve` or `replay` writes)")
                }
                let conn = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await conn.query("PRAGMA busy_timeout=2000")
                // The rollups' latency bucket, for the raw edge hours of a window (SQLite has no `ln`).
                try await conn.install(customFunction: SQLiteLedgerStore.latencyBucketFunction())
                return conn
            }
            current = task
            return task
        }
        do {
            let conn = try await task.value
            self.connection.withLockedValue { $0 = conn }
            return conn
        } catch {
            self.opening.withLockedValue { $0 = nil }
            if let review = error as? ReviewError { throw review }
            throw ReviewError.ledgerUnavailable("cannot open SQLite ledger '\(self.path)': \(Self.describe(error))")
        }
    }

    public func query(_ sql: String, _ binds: [ReviewValue]) async throws -> [ReviewRow] {
        let conn = try await self.open()
        let data: [SQLiteData] = binds.map { value in
            switch value {
            case .null: return .null
            case .int(let v): return .integer(v)
            case .double(let v): return .float(v)
            case .text(let s): return .text(s)
            case .time(let d): return .text(LedgerTimeText.format(d))
            case .uuid(let u): return .text(u.uuidString.lowercased())
            }
        }
        let rows: [SQLiteRow]
        do {
            rows = try await conn.query(sql, data)
        } catch {
            let message = Self.describe(error)
            if message.contains("no such table") {
                throw ReviewError.ledgerUnavailable("'\(self.path)' is not a TapCompare ledger (\(message)); run `tapcompare ledger migrate --ledger sqlite:\(self.path)` or point --ledger at the right file")
            }
            throw ReviewError.queryFailed("SQLite ledger '\(self.path)': \(message)")
        }
        return rows.map { row in
            ReviewRow(row.columns.map { column in
                switch column.data {
                case .integer(let v): return .int(v)
                case .float(let v): return .double(v)
                case .text(let s): return .text(s)
                case .blob(let b): return .text(String(buffer: b))
                case .null: return .null
                }
            })
        }
    }

    static func describe(_ error: any Error) -> String {
        if let sqlite = error as? SQLiteError { return sqlite.message }
        return String(describing: error)
    }
}
