import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLiteNIO
import TapCompareCore

/// The read side of an SQLite ledger: one connection, opened on first use.
///
/// The ledger runs in WAL mode, so these reads never block the proxy's writer (and are not blocked by it).
/// A missing file is an error, not a new empty ledger: a typo in `--ledger` must not produce an empty report.
final class SQLiteReadDatabase: LedgerReadDatabase {
    let dialect = SQLDialect.sqlite
    let allowsConcurrentQueries = false
    let path: String
    private let logger: Logger
    private let connection = NIOLockedValueBox<SQLiteConnection?>(nil)
    private let opening = NIOLockedValueBox<Task<SQLiteConnection, any Error>?>(nil)

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// Suspends until graceful shutdown (or cancellation), then closes the connection.
    func run() async throws {
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
                    throw LedgerError.storeUnavailable("no SQLite ledger at '\(path)'; pass --ledger sqlite:PATH (the file `serve` or `replay` writes)")
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
            if let ledger = error as? LedgerError { throw ledger }
            throw LedgerError.storeUnavailable("cannot open SQLite ledger '\(self.path)': \(SQLiteLedgerStore.describe(error))", underlying: error)
        }
    }

    func query(_ sql: String, _ binds: [LedgerReadValue]) async throws -> [LedgerReadRow] {
        let conn = try await self.open()
        let data: [SQLiteData] = binds.map { value in
            switch value {
            case .null: return .null
            case .int(let v): return .integer(v)
            case .double(let v): return .float(v)
            case .text(let s): return .text(s)
            case .time(let d): return .text(LedgerTime.format(d))
            case .uuid(let u): return .text(u.lowercasedText)
            }
        }
        let rows: [SQLiteRow]
        do {
            rows = try await conn.query(sql, data)
        } catch {
            let message = SQLiteLedgerStore.describe(error)
            if message.contains("no such table") {
                throw LedgerError.storeUnavailable("'\(self.path)' is not a TapCompare ledger (\(message)); run `tapcompare ledger migrate --ledger sqlite:\(self.path)` or point --ledger at the right file")
            }
            throw LedgerError.queryFailed("SQLite ledger '\(self.path)': \(message)", underlying: error)
        }
        return rows.map { row in
            LedgerReadRow(row.columns.map { column in
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
}
