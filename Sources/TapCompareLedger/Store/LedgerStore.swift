import Foundation
import ServiceLifecycle

/// A ledger database: PostgreSQL (``PostgresLedgerStore``) or SQLite (``SQLiteLedgerStore``), holding the same
/// tables (see `Schema/SCHEMA.md`): the writer's side (migrations, batches, gaps, pruning, the published noise
/// model, and the counts `ledger status` prints). Reports, the UI and tests read through ``LedgerReader``.
///
/// A store is a `Service`: ``run()`` keeps its connections alive until graceful shutdown, so it is started before
/// the ``LedgerWriter`` in a `ServiceGroup` and stopped after it. Every statement binds its values; the only SQL
/// built from text are partition names (`comparisons_p20261122`), made of digits we format ourselves.
public protocol LedgerStore: Service, Sendable {
    /// The URL the store was opened with (prints without its password).
    var url: LedgerURL { get }

    /// Applies every migration not yet applied, each in its own transaction, and returns their versions.
    /// Safe to call from several processes at once (Postgres takes an advisory lock; SQLite `BEGIN IMMEDIATE`).
    func migrate() async throws -> [Int]

    /// The highest applied migration version, 0 for an empty database.
    func schemaVersion() async throws -> Int

    /// Inserts comparisons and their discrepancies in one transaction, and adds the new ones to the hourly rollups
    /// in that same transaction. Idempotent by comparison id: a comparison already present is left as it is and not
    /// counted again (so a spool replayed twice stores and counts everything once).
    func insert(_ batch: [LedgerComparison]) async throws

    /// ``insert(_:)``, told whether `batch` may hold comparisons already stored. Just as idempotent: the hint only
    /// lets a store skip work that finds nothing for a batch never handed to it before.
    ///
    /// - Parameter mayBeStored: `false` for a batch's first attempt, straight from the queue (its ids are new);
    ///   `true` for a batch replayed from the spool (its first write may have committed after it timed out) and
    ///   for rows retried one by one.
    func insert(_ batch: [LedgerComparison], mayBeStored: Bool) async throws

    /// The most ``insert(_:)`` calls worth running at once: more would only wait for a lock inside the store,
    /// spending their `ledger.write_timeout` there. The writer uses the lower of this and `ledger.writers`.
    var maxConcurrentInserts: Int { get }

    /// Inserts a `ledger_gaps` row (idempotent by id).
    func insertGap(_ gap: LedgerGap) async throws

    /// Deletes comparisons (and their discrepancies and rollups) recorded before `cutoff`. Postgres drops whole day
    /// partitions that end at or before `cutoff`; SQLite deletes rows before the hour holding `cutoff`.
    func prune(olderThan cutoff: Date) async throws -> LedgerPruneResult

    /// Row counts of `comparisons`, `discrepancies` and `ledger_gaps`.
    func counts() async throws -> LedgerCounts

    /// Every `ledger_gaps` row, oldest first.
    func gaps() async throws -> [LedgerGap]

    /// Replaces what this instance last published of its learned-noise model (one transaction).
    func publishNoiseModel(_ model: LedgerNoiseModel) async throws

}

extension LedgerStore {
    /// Stores that have nothing to skip do the whole idempotent insert.
    public func insert(_ batch: [LedgerComparison], mayBeStored: Bool) async throws {
        try await self.insert(batch)
    }

    /// No limit of the store's own: `ledger.writers` decides.
    public var maxConcurrentInserts: Int { Int.max }
}
