import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteNIO
import ServiceLifecycle
import TapCompareCore

/// The embedded ledger: one SQLite file in WAL mode, the default (`sqlite:tapcompare.sqlite`).
///
/// The connection is opened lazily and reopened after a failure, so a file that is unwritable at start-up (or
/// becomes so) behaves like a database server that is down: the writer spools, and replays once it works again.
/// One connection, used by one operation at a time (``AsyncMutex``): SQLite serialises writers anyway, and a
/// transaction's `BEGIN` and `COMMIT` must not interleave with another task's statements. Other processes (a
/// second proxy, `tapcompare report`) open their own connections; WAL lets them read while this one writes.
public final class SQLiteLedgerStore: LedgerStore {
    public let url: LedgerURL
    let path: String
    private let logger: Logger
    private let mutex = AsyncMutex()
    private let connection = NIOLockedValueBox<SQLiteConnection?>(nil)
    /// Set once ``run()`` has closed the connection: a late operation (an insert abandoned by the writer's timeout
    /// that resumes after shutdown) must fail instead of opening a connection nobody would ever close.
    private let shutDown = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - path: The database file; created (with its schema, on ``migrate()``) when missing.
    ///   - logger: Logs at debug and below.
    public init(path: String, logger: Logger) {
        self.path = path
        self.url = LedgerURL(backend: .sqlite(path: path))
        self.logger = logger
    }

    /// Suspends until graceful shutdown, then closes the connection.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await Task {
            try await self.mutex.withLock {
                self.shutDown.withLockedValue { $0 = true }
                await self.closeConnection()
            }
        }.value
    }

    // MARK: Connection

    private func open() async throws -> SQLiteConnection {
        if let existing = self.connection.withLockedValue({ $0 }) { return existing }
        guard !self.shutDown.withLockedValue({ $0 }) else {
            throw LedgerError.storeUnavailable("SQLite ledger '\(self.path)' is shut down")
        }
        let conn: SQLiteConnection
        do {
            conn = try await SQLiteConnection.open(storage: .file(path: self.path), logger: self.logger)
        } catch {
            throw LedgerError.storeUnavailable("cannot open SQLite ledger '\(self.path)': \(Self.describe(error))", underlying: error)
        }
        do {
            // WAL: readers (reports, the UI) never block the writer. synchronous=NORMAL is durable against a
            // crash of the process (SIGKILL); only an OS crash can lose the last commits.
            _ = try await conn.query("PRAGMA journal_mode=WAL")
            _ = try await conn.query("PRAGMA synchronous=NORMAL")
            // sqlite-nio's own busy handler waits forever; a writer locked out by another process must fail
            // (and spool) instead of parking a thread-pool thread indefinitely.
            _ = try await conn.query("PRAGMA busy_timeout=1000")
            // The latency bucket of the rollups' backfill (SQLite is built without `ln`).
            try await conn.install(customFunction: Self.latencyBucketFunction())
        } catch {
            try? await conn.close()
            throw LedgerError.storeUnavailable("cannot use SQLite ledger '\(self.path)': \(Self.describe(error))", underlying: error)
        }
        self.connection.withLockedValue { $0 = conn }
        return conn
    }

    private func closeConnection() async {
        let conn = self.connection.withLockedValue { value -> SQLiteConnection? in
            defer { value = nil }
            return value
        }
        try? await conn?.close()
    }

    /// Runs `body` on the connection under the mutex; on failure the connection is closed so the next call
    /// reopens it (a read-only or vanished file recovers when fixed).
    ///
    /// The work runs in its own task so that cancelling the caller (a write timeout, a shutdown) never interrupts
    /// sqlite-nio halfway: a connection opened by a cancelled call would be dropped without being closed, and a
    /// transaction abandoned between `BEGIN` and `COMMIT` would hold the write lock.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await Task { try await self.locked(body) }.value
    }

    private func locked<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await self.mutex.withLock {
            let conn = try await self.open()
            do {
                return try await body(conn)
            } catch {
                _ = try? await conn.query("ROLLBACK")
                await self.closeConnection()
                if let ledgerError = error as? LedgerError { throw ledgerError }
                if let sqlite = error as? SQLiteError {
                    switch sqlite.reason {
                    // sqlite-nio turns on extended result codes: a refusal arrives as its kind of constraint.
                    case .constraint, .mismatch, .tooBig, .constraintCheckFailed, .constraintCommitHookFailed,
                        .constraintForeignKeyFailed, .constraintUserFunctionFailed, .constraintNotNullFailed,
                        .constraintPrimaryKeyFailed, .constraintTriggerFailed, .constraintUniqueFailed,
                        .constraintVirtualTableFailed, .constraintUniqueRowIDFailed, .constraintUpdateTriggerDeletedRow,
                        .constraintStrictDataTypeFailed:
                        throw LedgerError.rejected("SQLite ledger '\(self.path)' refused the data: \(sqlite.message)", underlying: error)
                    default:
                        break
                    }
                }
                throw LedgerError.storeUnavailable("SQLite ledger '\(self.path)' failed: \(Self.describe(error))", underlying: error)
            }
        }
    }

    /// Runs `body` with the store's connection, one operation at a time with the writer's transactions (for the
    /// report's and the UI's read queries; bind every value).
    public func withSQLiteConnection<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await self.withConnection(body)
    }

    static func describe(_ error: any Error) -> String {
        if let sqlite = error as? SQLiteError { return sqlite.message }
        return String(describing: error)
    }

    /// `tapcompare_latency_bucket(ms)`: ``LatencyBuckets/bucket(milliseconds:)`` as an SQL function, for the
    /// rollups' backfill here and the review's reads of raw edge hours (each installs it on its own connection).
    public static func latencyBucketFunction() -> SQLiteCustomFunction {
        SQLiteCustomFunction(LatencyBuckets.sqliteFunctionName, argumentCount: 1, pure: true) { args in
            guard let ms = args.first?.double else { return nil }
            return LatencyBuckets.bucket(milliseconds: ms)
        }
    }

    // MARK: Migrations

    public func migrate() async throws -> [Int] {
        try Migration.refuseNewer(found: try await self.schemaVersion(), known: SQLiteSchema.migrations.last?.version ?? 0, ledger: "'\(self.path)'")
        return try await self.migrate(upTo: Int.max)
    }

    /// Applies the migrations up to `version` (tests build an older ledger with it).
    func migrate(upTo version: Int) async throws -> [Int] {
        try await self.withConnection { conn in
            for statement in SQLiteSchema.bootstrap {
                _ = try await conn.query(statement)
            }
            var applied: [Int] = []
            for migration in SQLiteSchema.migrations where migration.version <= version {
                // BEGIN IMMEDIATE takes the write lock before reading the version, so two processes starting at
                // once cannot both apply the same migration.
                _ = try await conn.query("BEGIN IMMEDIATE")
                let rows = try await conn.query("SELECT count(*) AS n FROM schema_migrations WHERE version = ?", [.integer(migration.version)])
                if (rows.first?.column("n")?.integer ?? 0) > 0 {
                    _ = try await conn.query("COMMIT")
                    continue
                }
                do {
                    for statement in migration.statements {
                        _ = try await conn.query(statement)
                    }
                    _ = try await conn.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [.integer(migration.version), .text(migration.name)]
                    )
                    _ = try await conn.query("COMMIT")
                } catch {
                    throw LedgerError.migrationFailed(
                        "migration \(migration.version) (\(migration.name)) failed on '\(self.path)': \(Self.describe(error))",
                        underlying: error
                    )
                }
                applied.append(migration.version)
            }
            return applied
        }
    }

    public func schemaVersion() async throws -> Int {
        try await self.withConnection { conn in
            let exists = try await conn.query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
            guard (exists.first?.column("n")?.integer ?? 0) > 0 else { return 0 }
            let rows = try await conn.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")
            return rows.first?.column("v")?.integer ?? 0
        }
    }

    // MARK: Writes

    static let discrepancyColumns = [
        "comparison_id", "ordinal", "recorded_at", "route", "path", "field", "kind", "legacy_value", "candidate_value",
        "classification",
    ]
    /// Rows per INSERT statement: keeps each statement's bind count far below SQLite's limit.
    static let rowsPerStatement = 2_000

    public func insert(_ batch: [LedgerComparison]) async throws {
        try await self.insert(batch, rollups: true, mayBeStored: true)
    }

    public func insert(_ batch: [LedgerComparison], mayBeStored: Bool) async throws {
        try await self.insert(batch, rollups: true, mayBeStored: mayBeStored)
    }

    /// One: the store has one connection, and a batch is one `BEGIN IMMEDIATE` transaction holding it (SQLite
    /// has one writer per database anyway). A second batch in flight would only wait for the first.
    public var maxConcurrentInserts: Int { 1 }

    /// ``insert(_:mayBeStored:)``; `rollups: false` writes only the raw rows, as a schema-1 ledger holds them
    /// (tests of migration 2's backfill).
    ///
    /// With `mayBeStored: false` (a batch straight from the queue, its ids new) the rows are inserted without
    /// `RETURNING`, and `changes()` confirms every one was new. Should one have been stored after all, the
    /// transaction is rolled back and the batch written again with the look-up, so nothing is stored or counted
    /// twice either way.
    func insert(_ batch: [LedgerComparison], rollups: Bool, mayBeStored: Bool = true) async throws {
        guard !batch.isEmpty else { return }
        try await self.withConnection { conn in
            _ = try await conn.query("BEGIN IMMEDIATE")
            if !mayBeStored, try await Self.insertNewRows(batch, on: conn, rollups: rollups) {
                _ = try await conn.query("COMMIT")
                return
            }
            if !mayBeStored {
                _ = try await conn.query("ROLLBACK")
                _ = try await conn.query("BEGIN IMMEDIATE")
            }
            try await Self.insertRows(batch, on: conn, rollups: rollups)
            _ = try await conn.query("COMMIT")
        }
    }

    /// Inserts the raw rows and, when `rollups`, adds the comparisons that were new (`RETURNING` lists only rows
    /// actually inserted: a replayed duplicate must not count twice) to the hourly rollups, in the caller's
    /// transaction.
    static func insertRows(_ batch: [LedgerComparison], on conn: SQLiteConnection, rollups: Bool) async throws {
        var inserted = Set<String>()
        inserted.reserveCapacity(batch.count)
        for chunk in batch.chunked(Self.rowsPerStatement) {
            let (sql, binds) = Self.insertStatement(chunk)
            for row in try await conn.query(sql + " RETURNING id", binds) {
                if let id = row.column("id")?.string { inserted.insert(id) }
            }
        }
        let fresh = inserted.count == batch.count ? batch : batch.filter { inserted.contains($0.id.ledgerText) }
        try await Self.insertDetails(of: fresh, on: conn, rollups: rollups)
    }

    /// ``insertRows(_:on:rollups:)`` for rows believed new: no `RETURNING`, each chunk's `changes()` checked instead.
    /// - Returns: `false` when some row was already stored (and skipped): the caller rolls back and looks them up.
    static func insertNewRows(_ batch: [LedgerComparison], on conn: SQLiteConnection, rollups: Bool) async throws -> Bool {
        for chunk in batch.chunked(Self.rowsPerStatement) {
            let (sql, binds) = Self.insertStatement(chunk)
            _ = try await conn.query(sql, binds)
            let changed = try await conn.query("SELECT changes() AS n").first?.column("n")?.integer
            guard changed == chunk.count else { return false }
        }
        try await Self.insertDetails(of: batch, on: conn, rollups: rollups)
        return true
    }

    /// The multi-row insert of `chunk` into `comparisons` (conflicting ids skipped), with its binds.
    static func insertStatement(_ chunk: ArraySlice<LedgerComparison>) -> (sql: String, binds: [SQLiteData]) {
        let columns = SQLiteComparisonColumns(rows: chunk)
        let names = columns.names
        var values: [SQLiteData] = []
        values.reserveCapacity(chunk.count * names.count)
        for c in chunk { columns.appendBinds(of: c, to: &values) }
        let insert = SQLiteMultiRowInsert(table: "comparisons", columns: names, values: values, conflict: "(id)")
        return (insert.sql, insert.binds)
    }

    /// The discrepancies of the comparisons just inserted and, when `rollups`, their counts in the hourly rollups.
    static func insertDetails(of fresh: [LedgerComparison], on conn: SQLiteConnection, rollups: Bool) async throws {
        guard !fresh.isEmpty else { return }
        try await Self.insertDiscrepancies(fresh, on: conn)
        guard rollups else { return }
        try await Self.upsertRollups(LedgerRollups(fresh), on: conn)
    }

    /// One upsert per rollup table and chunk, adding to the counts already stored.
    static func upsertRollups(_ rollups: LedgerRollups, on conn: SQLiteConnection) async throws {
        // A batch spans an hour or two: format each hour once, not once per key.
        var hours: [Date: SQLiteData] = [:]
        func hourText(_ hour: Date) -> SQLiteData {
            if let text = hours[hour] { return text }
            let text = SQLiteData.text(LedgerTime.format(hour))
            hours[hour] = text
            return text
        }
        // Values row after row; what the rows share (the hour, the route, the run, the side) is bound once.
        for chunk in rollups.sortedOutcomes.chunked(Self.rowsPerStatement) {
            var values: [SQLiteData] = []
            values.reserveCapacity(chunk.count * 12)
            for (k, v) in chunk {
                values.append(hourText(k.hour))
                values.append(.text(k.route))
                values.append(.text(k.runID))
                values.append(.text(k.instance))
                values.append(.text(k.outcome))
                values.append(.integer(k.legacyStatus))
                values.append(.integer(k.candidateStatus))
                values.append(.text(k.reason))
                values.append(.integer(v.comparisons))
                values.append(.integer(v.regressed))
                values.append(.text(LedgerTime.format(v.firstSeen)))
                values.append(.text(LedgerTime.format(v.lastSeen)))
            }
            let upsert = SQLiteMultiRowInsert.upsert(
                table: "rollup_outcomes", keys: ["hour", "route", "run_id", "instance", "outcome", "legacy_status", "candidate_status", "reason"],
                sums: ["comparisons", "regressed"], seen: true, values: values
            )
            _ = try await conn.query(upsert.sql, upsert.binds)
        }
        for chunk in rollups.sortedLatency.chunked(Self.rowsPerStatement) {
            var values: [SQLiteData] = []
            values.reserveCapacity(chunk.count * 6)
            for (k, n) in chunk {
                values.append(hourText(k.hour))
                values.append(.text(k.route))
                values.append(.text(k.runID))
                values.append(.text(k.side))
                values.append(.integer(k.bucket))
                values.append(.integer(n))
            }
            let upsert = SQLiteMultiRowInsert.upsert(
                table: "rollup_latency", keys: ["hour", "route", "run_id", "side", "bucket"], sums: ["count"], seen: false, values: values
            )
            _ = try await conn.query(upsert.sql, upsert.binds)
        }
        for chunk in rollups.sortedFields.chunked(Self.rowsPerStatement) {
            var values: [SQLiteData] = []
            values.reserveCapacity(chunk.count * 11)
            for (k, v) in chunk {
                values.append(hourText(k.hour))
                values.append(.text(k.route))
                values.append(.text(k.runID))
                values.append(.text(k.field))
                values.append(.text(k.kind))
                values.append(.text(k.classification))
                values.append(.integer(v.occurrences))
                values.append(.integer(v.comparisons))
                values.append(.integer(v.leadingComparisons))
                values.append(.text(LedgerTime.format(v.firstSeen)))
                values.append(.text(LedgerTime.format(v.lastSeen)))
            }
            let upsert = SQLiteMultiRowInsert.upsert(
                table: "rollup_fields", keys: ["hour", "route", "run_id", "field", "kind", "classification"],
                sums: ["occurrences", "comparisons", "leading_comparisons"], seen: true, values: values
            )
            _ = try await conn.query(upsert.sql, upsert.binds)
        }
    }


    static func insertDiscrepancies(_ batch: [LedgerComparison], on conn: SQLiteConnection) async throws {
            var discrepancyBinds: [SQLiteData] = []
            var discrepancyRows = 0
            for c in batch where !c.discrepancies.isEmpty {
                let id = c.id.ledgerText
                let time = SQLiteData.text(LedgerTime.format(c.recordedAt))
                for (ordinal, d) in c.discrepancies.enumerated() {
                    discrepancyBinds.append(contentsOf: [
                        .text(id), .integer(ordinal), time, .text(c.route), .text(d.path), .text(d.field), .text(d.kind),
                        d.legacyValue.map(SQLiteData.text) ?? .null, d.candidateValue.map(SQLiteData.text) ?? .null,
                        .text(d.classification),
                    ])
                    discrepancyRows += 1
                    if discrepancyRows == Self.rowsPerStatement {
                        let insert = SQLiteMultiRowInsert(
                            table: "discrepancies", columns: Self.discrepancyColumns, values: discrepancyBinds, conflict: "(comparison_id, ordinal)"
                        )
                        _ = try await conn.query(insert.sql, insert.binds)
                        discrepancyBinds.removeAll(keepingCapacity: true)
                        discrepancyRows = 0
                    }
                }
            }
            if discrepancyRows > 0 {
                let insert = SQLiteMultiRowInsert(
                    table: "discrepancies", columns: Self.discrepancyColumns, values: discrepancyBinds, conflict: "(comparison_id, ordinal)"
                )
                _ = try await conn.query(insert.sql, insert.binds)
            }
    }

    /// Recomputes every rollup from the raw rows, in one transaction (see ``PostgresLedgerStore/rebuildRollups()``).
    public func rebuildRollups() async throws {
        try await self.withConnection { conn in
            _ = try await conn.query("BEGIN IMMEDIATE")
            for table in ["rollup_outcomes", "rollup_latency", "rollup_fields"] {
                _ = try await conn.query("DELETE FROM \(table)")
            }
            for statement in SQLiteSchema.rollupBackfill {
                _ = try await conn.query(statement)
            }
            _ = try await conn.query("COMMIT")
        }
    }

    public func insertGap(_ gap: LedgerGap) async throws {
        try await self.withConnection { conn in
            _ = try await conn.query(
                "INSERT INTO ledger_gaps (id, instance, from_time, to_time, count, reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                [
                    .text(gap.id.ledgerText), .text(gap.instance), .text(LedgerTime.format(gap.from)),
                    .text(LedgerTime.format(gap.to)), .integer(gap.count), .text(gap.reason),
                ]
            )
        }
    }

    /// Deletes whole hours: rows recorded before the start of the hour that holds `cutoff`, so the hourly rollups,
    /// deleted up to the same hour, keep counting exactly the rows that remain.
    public func prune(olderThan cutoff: Date) async throws -> LedgerPruneResult {
        let cutoffText = SQLiteData.text(LedgerTime.format(cutoff))
        let hourText = SQLiteData.text(LedgerTime.format(LedgerTime.startOfHour(cutoff)))
        return try await self.withConnection { conn in
            _ = try await conn.query("BEGIN IMMEDIATE")
            _ = try await conn.query("DELETE FROM discrepancies WHERE recorded_at < ?", [hourText])
            _ = try await conn.query("DELETE FROM comparisons WHERE recorded_at < ?", [hourText])
            let changed = try await conn.query("SELECT changes() AS n")
            for table in ["rollup_outcomes", "rollup_latency", "rollup_fields"] {
                _ = try await conn.query("DELETE FROM \(table) WHERE hour < ?", [hourText])
            }
            _ = try await conn.query("DELETE FROM ledger_gaps WHERE to_time < ?", [cutoffText])
            _ = try await conn.query("COMMIT")
            return LedgerPruneResult(droppedPartitions: [], deletedComparisons: changed.first?.column("n")?.integer ?? 0)
        }
    }

    // MARK: Reads

    public func counts() async throws -> LedgerCounts {
        try await self.withConnection { conn in
            let rows = try await conn.query("""
                SELECT (SELECT count(*) FROM comparisons) AS c, (SELECT count(*) FROM discrepancies) AS d,
                       (SELECT count(*) FROM ledger_gaps) AS g, (SELECT coalesce(sum(count), 0) FROM ledger_gaps) AS dropped
                """)
            let row = rows.first
            return LedgerCounts(
                comparisons: row?.column("c")?.integer ?? 0,
                discrepancies: row?.column("d")?.integer ?? 0,
                gaps: row?.column("g")?.integer ?? 0,
                droppedInGaps: row?.column("dropped")?.integer ?? 0
            )
        }
    }

    public func gaps() async throws -> [LedgerGap] {
        try await self.withConnection { conn in
            let rows = try await conn.query("SELECT id, instance, from_time, to_time, count, reason FROM ledger_gaps ORDER BY from_time, id")
            return rows.map { row in
                LedgerGap(
                    id: row.column("id")?.string.flatMap(UUID.init(uuidString:)) ?? UUID(),
                    instance: row.column("instance")?.string ?? "",
                    from: row.column("from_time")?.string.flatMap(LedgerTime.parse) ?? Date(timeIntervalSince1970: 0),
                    to: row.column("to_time")?.string.flatMap(LedgerTime.parse) ?? Date(timeIntervalSince1970: 0),
                    count: row.column("count")?.integer ?? 0,
                    reason: row.column("reason")?.string ?? ""
                )
            }
        }
    }
}

extension SQLiteData {
    var optionalString: String? { self.isNull ? nil : self.string }
    var optionalInteger: Int? { self.isNull ? nil : self.integer.map { Int($0) } }
    var optionalDouble: Double? { self.isNull ? nil : self.double }
}

extension UUID {
    /// Lower-case canonical text, how SQLite stores ids (and how Postgres prints them).
    var ledgerText: String { self.lowercasedText }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: self.count, by: size).map { self[$0..<Swift.min($0 + size, self.count)] }
    }
}
