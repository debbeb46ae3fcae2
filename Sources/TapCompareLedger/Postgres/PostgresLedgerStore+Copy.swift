import Foundation
import NIOCore
import PostgresNIO

extension PostgresLedgerStore {
    /// Writes the comparisons of `batch` not yet stored, their discrepancies and, when `rollups`, adds them to the
    /// hourly rollups, in the caller's transaction.
    ///
    /// Idempotent by comparison id: the ids already stored (a batch replayed from the spool after its first write
    /// committed after all) are looked up first and neither copied again nor counted again. A concurrent
    /// transaction inserting the same ids (an insert abandoned on timeout that is still running) makes the `COPY`
    /// fail with a unique violation: the writer then retries row by row, and each row's look-up finds it stored.
    ///
    /// - Parameter copy: `batch` encoded (``PostgresLedgerCopy``), done before the transaction started.
    func insertRows(_ batch: [LedgerComparison], copy: PostgresLedgerCopy, on conn: PostgresConnection, rollups: Bool) async throws {
        let stored = try await self.storedIDs(of: batch, on: conn)
        let fresh = stored.isEmpty ? batch : batch.filter { !stored.contains($0.id) }
        guard !fresh.isEmpty else { return }
        let copy = stored.isEmpty ? copy : PostgresLedgerCopy(fresh)
        // `copyFrom` quotes the table name as one identifier: name the table unqualified, in this transaction's
        // search path.
        try await conn.query("SET LOCAL search_path TO tapcompare", logger: self.logger)
        try await self.copy(copy.comparisons, into: "comparisons", columns: copy.comparisonColumns, on: conn)
        if copy.discrepancyRows > 0 {
            try await self.copy(copy.discrepancies, into: "discrepancies", columns: PostgresLedgerCopy.discrepancyColumns, on: conn)
        }
        guard rollups else { return }
        for query in Self.rollupQueries(LedgerRollups(fresh)) {
            try await conn.query(query, logger: self.logger)
        }
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
        try await conn.copyFrom(table: table, columns: columns, logger: self.logger) { writer in
            try await writer.write(rows)
        }
    }
}
