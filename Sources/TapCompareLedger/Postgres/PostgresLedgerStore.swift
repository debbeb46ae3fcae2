import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The production ledger: PostgreSQL through PostgresNIO's `PostgresClient` (a connection pool, run by ``run()``
/// as a `Service`), in schema `tapcompare`.
///
/// A batch is one transaction: a look-up of which of its comparison ids are already stored (only for a batch that
/// may hold some: a replayed one), then `COPY … FROM STDIN` of the new comparisons and their discrepancies (see
/// ``PostgresLedgerCopy``), then one upsert per rollup table. Several batches may be written at once, each on its
/// own pooled connection (`ledger.writers`). Day partitions of `comparisons` and `discrepancies` are created ahead
/// of the rows that need them.
public final class PostgresLedgerStore: LedgerStore {
    public let url: LedgerURL
    /// The writer's connection pool (it runs while the store runs); tests reach it to set up databases. Reports and
    /// the UI never use it: ``LedgerReader`` has a pool of its own. Bind every value (`PostgresQuery` interpolation
    /// does).
    public let client: PostgresClient
    let logger: Logger
    /// Fails a write at once while the server refuses connections (the pool would hold it until
    /// `ledger.write_timeout`).
    let reachability: PostgresReachability
    /// Day stamps (`20261122`) whose partitions this process knows to exist.
    private let knownPartitions = NIOLockedValueBox<Set<String>>([])

    /// - Parameters:
    ///   - postgres: Connection parameters; `sslmode` as ``PostgresTLS/configuration(for:logger:)`` reads it
    ///     (`prefer` and `require` do not verify the server, `verify-ca` and `verify-full` do).
    ///   - logger: Logs at debug and below.
    public init(postgres: LedgerURL.Postgres, logger: Logger) {
        self.url = LedgerURL(backend: .postgres(postgres))
        self.logger = logger
        var configuration = postgres.clientConfiguration(logger: logger)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.reachability = PostgresReachability(postgres: postgres, connectTimeout: .seconds(5), logger: logger)
    }

    /// Runs the connection pool until graceful shutdown (or cancellation). In a `ServiceGroup` the store is
    /// listed before the ``LedgerWriter``, so it is shut down after the writer has drained into it.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.client.run()
        }
    }

    /// Maps a PostgresNIO error to a ``LedgerError`` whose message is safe to show (SQLSTATE and server message,
    /// never the query's binds).
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let info = psql.serverInfo {
                let state = info[.sqlState] ?? "?"
                let message = info[.message] ?? "server error"
                return "\(message) (SQLSTATE \(state))"
            }
            return "\(psql.code)"
        }
        if let ledger = error as? LedgerError { return ledger.message }
        if String(describing: type(of: error)) == "ConnectionPoolError" {
            // The pool gave up connecting (refused, unreachable, or authentication failing repeatedly).
            return "could not connect to the server (is it running and reachable, and are the user and password right?)"
        }
        return String(describing: error)
    }

    func unavailable(_ action: String, _ error: any Error) -> LedgerError {
        if let ledger = error as? LedgerError { return ledger }
        // Class 22 (data exception) and 23 (integrity constraint violation): the rows, not the server, are the
        // problem; the writer isolates and drops them instead of retrying forever.
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState], state.hasPrefix("22") || state.hasPrefix("23") {
            return LedgerError.rejected("postgres ledger \(self.url) \(action) refused the data: \(Self.describe(error))", underlying: error)
        }
        return LedgerError.storeUnavailable("postgres ledger \(self.url) \(action) failed: \(Self.describe(error))", underlying: error)
    }

    // MARK: Migrations

    /// Serialises migrations across processes: every instance of a fleet may start at once.
    static let migrationLockKey: Int64 = 0x7461_7063_6d70_6172  // "tapcmpar"

    public func migrate() async throws -> [Int] {
        try await self.migrate(upTo: Int.max)
    }

    /// Applies the migrations up to `version` (tests build an older ledger with it), unless the ledger is newer
    /// than this build (``Migration/refuseNewer(found:known:ledger:)``).
    func migrate(upTo version: Int) async throws -> [Int] {
        try await self.reachability.whenReachable(ledger: self.url) {
            try Migration.refuseNewer(found: try await self.schemaVersion(), known: PostgresSchema.migrations.last?.version ?? 0, ledger: "\(self.url)")
            return try await self.applyMigrations(upTo: version)
        }
    }

    private func applyMigrations(upTo version: Int) async throws -> [Int] {
        var applied: [Int] = []
        do {
            for migration in PostgresSchema.migrations where migration.version <= version {
                let didApply: Bool = try await self.client.withTransaction(logger: self.logger) { conn in
                    try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: self.logger)
                    for statement in PostgresSchema.bootstrap {
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    let rows = try await conn.query(
                        "SELECT count(*) FROM tapcompare.schema_migrations WHERE version = \(migration.version)",
                        logger: self.logger
                    )
                    var present = 0
                    for try await (n) in rows.decode(Int.self) { present = n }
                    guard present == 0 else { return false }
                    for statement in migration.statements {
                        do {
                            try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                        } catch {
                            throw LedgerError.migrationFailed(
                                "migration \(migration.version) (\(migration.name)) failed on \(self.url): \(Self.describe(error))",
                                underlying: error
                            )
                        }
                    }
                    try await conn.query(
                        "INSERT INTO tapcompare.schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: self.logger
                    )
                    return true
                }
                if didApply { applied.append(migration.version) }
            }
        } catch let error as PostgresTransactionError {
            throw self.unavailable("migrate", error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw self.unavailable("migrate", error)
        }
        // Today's and tomorrow's partitions, so the first rows of the day never wait on DDL.
        let now = Date()
        try await self.ensurePartitions(forDays: [LedgerTime.startOfDay(now), LedgerTime.startOfDay(now).addingTimeInterval(86_400)])
        return applied
    }

    public func schemaVersion() async throws -> Int {
        do {
            let exists = try await self.client.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tapcompare' AND table_name = 'schema_migrations'",
                logger: self.logger
            )
            var n = 0
            for try await (value) in exists.decode(Int.self) { n = value }
            guard n > 0 else { return 0 }
            let rows = try await self.client.query("SELECT coalesce(max(version), 0) FROM tapcompare.schema_migrations", logger: self.logger)
            var version = 0
            for try await (value) in rows.decode(Int.self) { version = value }
            return version
        } catch {
            throw self.unavailable("schema version", error)
        }
    }

    // MARK: Partitions

    /// Creates the day partitions of both tables for each day (a UTC midnight), unless already known to exist.
    ///
    /// DDL cannot bind values; the bounds and names are formatted here from `Date`s (digits only), never taken
    /// from input. `IF NOT EXISTS` plus a retry makes two instances creating the same day at once harmless.
    func ensurePartitions(forDays days: Set<Date>) async throws {
        let missing = self.knownPartitions.withLockedValue { known in
            days.filter { !known.contains(LedgerTime.dayStamp($0)) }
        }
        for day in missing.sorted() {
            let stamp = LedgerTime.dayStamp(day)
            let from = LedgerTime.format(day)
            let to = LedgerTime.format(day.addingTimeInterval(86_400))
            for table in ["comparisons", "discrepancies"] {
                let sql = """
                    CREATE TABLE IF NOT EXISTS tapcompare.\(table)_p\(stamp) PARTITION OF tapcompare.\(table) \
                    FOR VALUES FROM ('\(from)') TO ('\(to)')
                    """
                var attempt = 0
                while true {
                    do {
                        try await self.client.query(PostgresQuery(unsafeSQL: sql), logger: self.logger)
                        break
                    } catch {
                        // A concurrent CREATE of the same partition can fail with duplicate_table / unique_violation.
                        attempt += 1
                        if attempt >= 3 { throw self.unavailable("create partition \(table)_p\(stamp)", error) }
                    }
                }
            }
            _ = self.knownPartitions.withLockedValue { $0.insert(stamp) }
        }
    }

    // MARK: Writes

    public func insert(_ batch: [LedgerComparison]) async throws {
        try await self.insert(batch, rollups: true, mayBeStored: true)
    }

    public func insert(_ batch: [LedgerComparison], mayBeStored: Bool) async throws {
        try await self.insert(batch, rollups: true, mayBeStored: mayBeStored)
    }

    /// ``insert(_:mayBeStored:)``; `rollups: false` writes only the raw rows, as a schema-1 ledger holds them
    /// (tests of migration 2's backfill).
    ///
    /// With `mayBeStored: false` the look-up of stored ids is skipped (one round trip and one index probe per row
    /// saved on every live batch), and the primary key stands guard instead: should a stored comparison be in the
    /// batch after all, the `COPY` fails with a unique violation, the transaction rolls back whole (nothing of it
    /// stored or counted), and the batch is written again with the look-up. The same retry covers a batch that
    /// shares ids with another transaction in flight (a spooled batch replayed while the write it replaces, given
    /// up on after `ledger.write_timeout`, still runs): its `COPY` waits for that transaction and fails once it
    /// commits, and the next look-up sees those rows. Each retry follows a commit of some of the batch's ids, so
    /// ``insertAttempts`` bounds it; past that the insert is refused, and the writer writes the rows one by one.
    func insert(_ batch: [LedgerComparison], rollups: Bool, mayBeStored: Bool = true) async throws {
        guard !batch.isEmpty else { return }
        try await self.reachability.whenReachable(ledger: self.url) {
            try await self.insertInTransaction(batch, rollups: rollups, mayBeStored: mayBeStored)
        }
    }

    private func insertInTransaction(_ batch: [LedgerComparison], rollups: Bool, mayBeStored: Bool) async throws {
        var days = Set<Date>()
        for c in batch { days.insert(LedgerTime.startOfDay(c.recordedAt)) }
        try await self.ensurePartitions(forDays: days)

        // Encoded before a connection is taken, so the transaction holds it only while the server works.
        let copy = PostgresLedgerCopy(batch)
        var lookUpStored = mayBeStored
        var attempt = 1
        do {
            while true {
                let lookUp = lookUpStored
                do {
                    try await self.client.withTransaction(logger: self.logger) { conn in
                        try await self.insertRows(batch, copy: copy, on: conn, rollups: rollups, lookUpStored: lookUp)
                    }
                    return
                } catch let error as PostgresTransactionError where attempt < Self.insertAttempts && Self.isUniqueViolation(error.closureError) {
                    lookUpStored = true
                    attempt += 1
                }
            }
        } catch let error as PostgresTransactionError {
            throw self.unavailable("insert", error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw self.unavailable("insert", error)
        }
    }

    /// Transactions one ``insert(_:rollups:mayBeStored:)`` tries when its rows meet a unique violation: the first,
    /// and a retry with the look-up for each transaction in flight that may commit some of the same ids first (a
    /// replayed batch overlaps at most the batch it replaces and its neighbours).
    static let insertAttempts = 4

    /// Whether `error` is PostgreSQL's unique violation (SQLSTATE 23505): a row with that key is stored, or being
    /// stored by a transaction that committed while this one waited for it.
    static func isUniqueViolation(_ error: (any Error)?) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        return psql.serverInfo?[.sqlState] == "23505"
    }

    /// One upsert per rollup table, every key of the batch in it (sorted, so concurrent writers lock keys in the
    /// same order), adding to the counts already stored.
    static func rollupQueries(_ rollups: LedgerRollups) -> [PostgresQuery] {
        guard !rollups.isEmpty else { return [] }
        var queries: [PostgresQuery] = []
        let outcomes = rollups.sortedOutcomes
        var o = PostgresBindings(capacity: 12)
        o.append(outcomes.map(\.key.hour))
        o.append(outcomes.map(\.key.route))
        o.append(outcomes.map(\.key.runID))
        o.append(outcomes.map(\.key.instance))
        o.append(outcomes.map(\.key.outcome))
        o.append(outcomes.map(\.key.legacyStatus))
        o.append(outcomes.map(\.key.candidateStatus))
        o.append(outcomes.map(\.key.reason))
        o.append(outcomes.map(\.value.comparisons))
        o.append(outcomes.map(\.value.regressed))
        o.append(outcomes.map(\.value.firstSeen))
        o.append(outcomes.map(\.value.lastSeen))
        queries.append(PostgresQuery(unsafeSQL: """
            INSERT INTO tapcompare.rollup_outcomes AS r (hour, route, run_id, instance, outcome, legacy_status,
                candidate_status, reason, comparisons, regressed, first_seen, last_seen)
            SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[],
                $7::int8[], $8::text[], $9::int8[], $10::int8[], $11::timestamptz[], $12::timestamptz[])
            ON CONFLICT (hour, route, run_id, instance, outcome, legacy_status, candidate_status, reason) DO UPDATE SET
                comparisons = r.comparisons + EXCLUDED.comparisons, regressed = r.regressed + EXCLUDED.regressed,
                first_seen = LEAST(r.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen)
            """, binds: o))
        let latency = rollups.sortedLatency
        if !latency.isEmpty {
            var l = PostgresBindings(capacity: 6)
            l.append(latency.map(\.key.hour))
            l.append(latency.map(\.key.route))
            l.append(latency.map(\.key.runID))
            l.append(latency.map(\.key.side))
            l.append(latency.map(\.key.bucket))
            l.append(latency.map(\.value))
            queries.append(PostgresQuery(unsafeSQL: """
                INSERT INTO tapcompare.rollup_latency AS r (hour, route, run_id, side, bucket, count)
                SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[])
                ON CONFLICT (hour, route, run_id, side, bucket) DO UPDATE SET count = r.count + EXCLUDED.count
                """, binds: l))
        }
        let fields = rollups.sortedFields
        if !fields.isEmpty {
            var f = PostgresBindings(capacity: 11)
            f.append(fields.map(\.key.hour))
            f.append(fields.map(\.key.route))
            f.append(fields.map(\.key.runID))
            f.append(fields.map(\.key.field))
            f.append(fields.map(\.key.kind))
            f.append(fields.map(\.key.classification))
            f.append(fields.map(\.value.occurrences))
            f.append(fields.map(\.value.comparisons))
            f.append(fields.map(\.value.leadingComparisons))
            f.append(fields.map(\.value.firstSeen))
            f.append(fields.map(\.value.lastSeen))
            queries.append(PostgresQuery(unsafeSQL: """
                INSERT INTO tapcompare.rollup_fields AS r (hour, route, run_id, field, kind, classification, occurrences,
                    comparisons, leading_comparisons, first_seen, last_seen)
                SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::int8[], $8::int8[], $9::int8[], $10::timestamptz[], $11::timestamptz[])
                ON CONFLICT (hour, route, run_id, field, kind, classification) DO UPDATE SET
                    occurrences = r.occurrences + EXCLUDED.occurrences, comparisons = r.comparisons + EXCLUDED.comparisons,
                    leading_comparisons = r.leading_comparisons + EXCLUDED.leading_comparisons,
                    first_seen = LEAST(r.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen)
                """, binds: f))
        }
        return queries
    }

    /// Recomputes every rollup from the raw rows (for a ledger filled by other means than the writer, such as
    /// `tapcompare-bench report-generate`), in one transaction: readers see the old rollups until it commits.
    public func rebuildRollups() async throws {
        do {
            try await self.client.withTransaction(logger: self.logger) { conn in
                for table in ["rollup_outcomes", "rollup_latency", "rollup_fields"] {
                    try await conn.query(PostgresQuery(unsafeSQL: "DELETE FROM tapcompare.\(table)"), logger: self.logger)
                }
                for statement in PostgresSchema.rollupBackfill {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
            }
        } catch let error as PostgresTransactionError {
            throw self.unavailable("rebuild rollups", error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw self.unavailable("rebuild rollups", error)
        }
    }

    public func insertGap(_ gap: LedgerGap) async throws {
        try await self.reachability.whenReachable(ledger: self.url) {
            do {
                try await self.client.query("""
                    INSERT INTO tapcompare.ledger_gaps (id, instance, from_time, to_time, count, reason)
                    VALUES (\(gap.id), \(gap.instance), \(gap.from), \(gap.to), \(gap.count), \(gap.reason))
                    ON CONFLICT (id) DO NOTHING
                    """, logger: self.logger)
            } catch {
                throw self.unavailable("insert gap", error)
            }
        }
    }

    public func prune(olderThan cutoff: Date) async throws -> LedgerPruneResult {
        do {
            let rows = try await self.client.query("""
                SELECT c.relname::text FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent
                JOIN pg_namespace n ON n.oid = p.relnamespace
                WHERE n.nspname = 'tapcompare' AND p.relname IN ('comparisons', 'discrepancies')
                """, logger: self.logger)
            var names: [String] = []
            for try await (name) in rows.decode(String.self) { names.append(name) }
            var dropped: [String] = []
            // Discrepancies first: a reader joining the two never sees discrepancies without their comparison.
            for name in names.sorted(by: { ($0.hasPrefix("discrepancies") ? 0 : 1, $0) < ($1.hasPrefix("discrepancies") ? 0 : 1, $1) }) {
                guard let marker = name.range(of: "_p", options: .backwards),
                      let day = LedgerTime.parseDayStamp(name[marker.upperBound...]),
                      ["comparisons", "discrepancies"].contains(String(name[..<marker.lowerBound]))
                else { continue }
                guard day.addingTimeInterval(86_400) <= cutoff else { continue }
                // The name matched `(comparisons|discrepancies)_pYYYYMMDD` above: no quoting needed or possible.
                try await self.client.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS tapcompare.\(name)"), logger: self.logger)
                dropped.append(name)
                let stamp = String(name[marker.upperBound...])
                _ = self.knownPartitions.withLockedValue { $0.remove(stamp) }
            }
            // Rollups go with the raw rows they count: a dropped partition held exactly the hours before the
            // oldest day kept, so the rollups keep matching the raw rows.
            // With no partition left there is no raw row at all; the cutoff's day bounds what may go.
            let oldestKept = try await self.oldestPartitionDay() ?? LedgerTime.startOfDay(cutoff)
            for table in ["rollup_outcomes", "rollup_latency", "rollup_fields"] {
                var binds = PostgresBindings(capacity: 1)
                binds.append(oldestKept)
                try await self.client.query(PostgresQuery(unsafeSQL: "DELETE FROM tapcompare.\(table) WHERE hour < $1", binds: binds), logger: self.logger)
            }
            try await self.client.query("DELETE FROM tapcompare.ledger_gaps WHERE to_time < \(cutoff)", logger: self.logger)
            return LedgerPruneResult(droppedPartitions: dropped, deletedComparisons: nil)
        } catch {
            throw self.unavailable("prune", error)
        }
    }

    /// The first day that still has a `comparisons` partition, `nil` when none does.
    private func oldestPartitionDay() async throws -> Date? {
        let rows = try await self.client.query("""
            SELECT c.relname::text FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            JOIN pg_namespace n ON n.oid = p.relnamespace
            WHERE n.nspname = 'tapcompare' AND p.relname = 'comparisons'
            """, logger: self.logger)
        var oldest: Date?
        for try await (name) in rows.decode(String.self) {
            guard let marker = name.range(of: "_p", options: .backwards), let day = LedgerTime.parseDayStamp(name[marker.upperBound...]) else { continue }
            oldest = oldest.map { min($0, day) } ?? day
        }
        return oldest
    }

    // MARK: Reads

    public func counts() async throws -> LedgerCounts {
        do {
            let rows = try await self.client.query("""
                SELECT (SELECT count(*) FROM tapcompare.comparisons), (SELECT count(*) FROM tapcompare.discrepancies),
                       (SELECT count(*) FROM tapcompare.ledger_gaps), (SELECT coalesce(sum(count), 0)::int8 FROM tapcompare.ledger_gaps)
                """, logger: self.logger)
            var result = LedgerCounts(comparisons: 0, discrepancies: 0, gaps: 0, droppedInGaps: 0)
            for try await (c, d, g, dropped) in rows.decode((Int, Int, Int, Int).self) {
                result = LedgerCounts(comparisons: c, discrepancies: d, gaps: g, droppedInGaps: dropped)
            }
            return result
        } catch {
            throw self.unavailable("count", error)
        }
    }

    public func gaps() async throws -> [LedgerGap] {
        do {
            let rows = try await self.client.query(
                "SELECT id, instance, from_time, to_time, count, reason FROM tapcompare.ledger_gaps ORDER BY from_time, id",
                logger: self.logger
            )
            var result: [LedgerGap] = []
            for try await (id, instance, from, to, count, reason) in rows.decode((UUID, String, Date, Date, Int, String).self) {
                result.append(LedgerGap(id: id, instance: instance, from: from, to: to, count: count, reason: reason))
            }
            return result
        } catch {
            throw self.unavailable("read gaps", error)
        }
    }
}
