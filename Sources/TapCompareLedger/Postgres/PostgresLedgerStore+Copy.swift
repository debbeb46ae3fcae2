import Foundation
import NIOCore
import PostgresNIO

extension PostgresLedgerStore {
    /// Writes the comparisons of `batch` not yet stored, their discrepancies and, when `rollups`, adds them to the
    /// hourly rollups, in the caller's transaction.
    ///
    /// Idempotent by comparison id: the ids already stored (a batch replayed from the spool after its first write
    /// committed after all) are looked up first and neither copied again nor counted again. A concurrent
    /// transaction inserting the same ids (an insert abandoned on timeout that is still running, while its spooled
    /// copy is replayed) makes the `COPY` wait for it and, once it commits, fail with a unique violation: the whole
    /// transaction rolls back, nothing is counted, and the retry's look-up finds the rows stored.
    ///
    /// Rows first, rollups last: the rollup rows are the only ones concurrent batches share (same route and hour),
    /// so their locks are taken as late as possible, held only until the commit, and taken in sorted key order
    /// (``rollupQueries(_:)``), table by table in one fixed order: two batches wait for each other, never deadlock.
    ///
    /// - Parameters:
    ///   - copy: `batch` encoded (``PostgresLedgerCopy``), done before the transaction started.
    ///   - lookUpStored: `false` skips the look-up for a batch never written before (see
    ///     ``insert(_:rollups:mayBeStored:)``, which retries with the look-up should the key say otherwise).
    func insertRows(
        _ batch: [LedgerComparison], copy: PostgresLedgerCopy, on conn: PostgresConnection, rollups: Bool, lookUpStored: Bool = true
    ) async throws {
        let stored = lookUpStored ? try await self.storedIDs(of: batch, on: conn) : []
        let fresh = stored.isEmpty ? batch : batch.filter { !stored.contains($0.id) }
        guard !fresh.isEmpty else { return }
        let copy = stored.isEmpty ? copy : PostgresLedgerCopy(fresh)
        try await self.copy(copy.comparisons, into: "comparisons", columns: copy.comparisonColumns, on: conn)
        if copy.discrepancyRows > 0 {
            try await self.copy(copy.discrepancies, into: "discrepancies", columns: PostgresLedgerCopy.discrepancyColumns, on: conn)
        }
        guard rollups else { return }
        for query in Self.rollupQueries(LedgerRollups(fresh)) {
            try await conn.query(query, logger: self.logger)
        }
    }

    /// The `COPY` target for a table of schema `tapcompare`, as `copyFrom(table:)` takes it.
    ///
    /// PostgresNIO writes `COPY "<table>"`, the name inserted as passed (its documented behaviour), so the name
    /// `tapcompare"."comparisons` reaches the server as the qualified `"tapcompare"."comparisons"`. That saves the
    /// `SET LOCAL search_path` round trip every batch used to make. The names are our constants, never input. A
    /// PostgresNIO that escaped the quotes would make every `COPY` fail with "relation does not exist", loudly,
    /// in every PostgreSQL test.
    static func copyTarget(_ table: String) -> String {
        "tapcompare\".\"" + table
    }

    /// The ids of `batch` already in `comparisons`. The time range lets the server look in the batch's day
    /// partitions only.
    private func storedIDs(of batch: [LedgerComparison], on conn: PostgresConnection) async throws -> Set<UUID> {
        guard let first = batch.first else { return [] }
        var from = first.recordedAt, to = first.recordedAt
        for c in batch {
            from = min(from, c.recordedAt)
            to = max(to, c.recordedAt)
        }
        let ids = batch.map(\.id)
        var stored = Set<UUID>()
        let rows = try await conn.query("""
            SELECT id FROM tapcompare.comparisons WHERE recorded_at >= \(from) AND recorded_at <= \(to) AND id = ANY(\(ids))
            """, logger: self.logger)
        for try await id in rows.decode(UUID.self) {
            stored.insert(id)
        }
        return stored
    }

    /// One `CopyData` message per table, on purpose.
    ///
    /// PostgresNIO 1.33.2 loses the promise of a `write` that waits for the channel to become writable when the
    /// connection fails meanwhile (`ExtendedQueryStateMachine.errorHappened` in `.copyingData(.pendingBackpressureRelieve)`
    /// stores the error and returns `.wait`): that write never returns, its task holds its pooled connection forever,
    /// and `PostgresClient.run()` then never finishes shutting down. Seen as a hang when PostgreSQL was stopped
    /// mid-batch. A write only waits when the channel is unwritable as it starts; each COPY begins after the server
    /// answered everything sent before it (so the channel is writable), and with one write per COPY no write starts
    /// behind our own unflushed data. The batch is in memory already: one message costs no copy.
    private func copy(_ rows: ByteBuffer, into table: String, columns: [String], on conn: PostgresConnection) async throws {
        try await conn.copyFrom(table: Self.copyTarget(table), columns: columns, logger: self.logger) { writer in
            try await writer.write(rows)
        }
    }
}
