import Foundation
import PostgresNIO
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// Several batches in flight at once (`ledger.writers`): each comparison stored and counted once, rollup rows
/// shared by concurrent transactions add up without a deadlock, a replay overlapping the writes it replaces is
/// harmless, and a shutdown waits for every batch in flight.
///
/// The PostgreSQL scenarios keep batches in flight for as long as they need by holding the `rollup_outcomes` rows
/// the batches add to locked in a transaction of their own (``withRollupRowsLocked(_:_:)``); they watch the
/// database (`pg_stat_activity`) to know the batches are waiting there, never a clock.
enum ConcurrentBatchScenarios {
    /// Encodes as a writer configured by ``Harness/configuration(url:spoolDirectory:batchSize:spoolMaxBytes:instance:redaction:writeTimeout:)``
    /// does (instance `test`), so the seed's rollup keys are the writer's.
    static func encoder() throws -> LedgerRecordEncoder {
        LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "test", maxSampleBytes: 64 * 1024)
    }

    /// One comparison per route of ``SyntheticComparisons`` at `at`, stored before the writer starts, so the
    /// `rollup_outcomes` rows every later batch of that hour adds to exist and can be locked.
    static func seed(at: Date) throws -> [LedgerComparison] {
        let encoder = try Self.encoder()
        return (0..<5).map { encoder.encode(SyntheticComparisons.make(index: 10_000 + $0, at: at)) }
    }

    /// Three writers, 450 comparisons of one hour (so every batch adds to the same rollup rows), the rollup rows
    /// locked: three batches wait in the database at once, the rest stays queued. The writer is shut down while
    /// they wait, then the rows are unlocked: the shutdown returns only after the three committed (a writer that
    /// returned first would have its store stopped under them, and they would be missing), and nothing failed,
    /// timed out or deadlocked on the shared rows.
    static func sharedRollupKeysAndShutdownWaits() async throws {
        let url = try await Backend.postgres.freshURL()
        let at = Date()
        let seed = try Self.seed(at: at)
        let recorded = 450
        let metrics = try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            try await store.insert(seed)
            let pg = try #require(store as? PostgresLedgerStore)
            return try await Self.withRollupRowsLocked(pg) { release in
                var configuration = Harness.configuration(url: url, batchSize: 100)
                configuration.writers = 3
                return try await Harness.withWriter(configuration) { writer in
                    for i in 0..<recorded { writer.record(SyntheticComparisons.make(index: i, at: at)) }
                    try await Harness.waitUntil("3 batches wait in the database at once") {
                        try await Self.sessionsWaitingOnLocks(pg) == 3
                    }
                    #expect(writer.queueDepth >= recorded - 3 * 100, "no more than 3 batches are taken off the queue")
                    writer.shutdown()
                    release()
                    return writer.metrics
                }
            }
        }
        let s = metrics.snapshot
        #expect(s.written == recorded)
        #expect(s.spooled == 0 && s.failedBatches == 0 && s.droppedTotal == 0, "no batch failed: no deadlock, no timeout")
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons == recorded + seed.count)
        #expect(counts.discrepancies == 3 * (recorded + seed.count))
        try await RollupCheck.expectConsistent(url)
    }

    /// The case the look-up of stored ids exists for, with batches in flight: three batches held in the database
    /// past `ledger.write_timeout` are given up on and spooled while their transactions still run; the spool is
    /// replayed while they run (the replay waits behind them in the database), then they commit. Each comparison is
    /// stored and counted once, and the live batches recorded afterwards are written directly.
    static func replayWhileTheWritesItReplacesStillRun() async throws {
        let url = try await Backend.postgres.freshURL()
        let at = Date()
        let seed = try Self.seed(at: at)
        let metrics = try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            try await store.insert(seed)
            let pg = try #require(store as? PostgresLedgerStore)
            var configuration = Harness.configuration(url: url, batchSize: 100, writeTimeout: TestTiming.scaled(.seconds(5)))
            configuration.writers = 3
            return try await Harness.withWriter(configuration) { writer in
                // The writer's start-up migration and a first batch before anything is locked: on a slow machine a
                // migration can outlast the short write timeout, and until one succeeds every write migrates first.
                writer.record(SyntheticComparisons.make(index: 999, at: at))
                try await Harness.waitUntil("the writer has written its first batch") { writer.metrics.snapshot.written == 1 }
                // That batch may itself have been spooled and replayed (a slow start): count from here.
                let before = writer.metrics.snapshot
                try await Self.withRollupRowsLocked(pg) { release in
                    for i in 0..<300 { writer.record(SyntheticComparisons.make(index: i, at: at)) }
                    do {
                        try await Harness.waitUntil("the 3 batches are given up on and spooled") {
                            writer.metrics.snapshot.spooled == before.spooled + 300
                        }
                        // The three batches given up on stay in the database (a query waiting for a lock does not
                        // end when its task is cancelled); each replay attempt waits there too, behind them.
                        try await Harness.waitUntil("a replay waits in the database behind the writes it replaces") {
                            try await Self.sessionsWaitingOnLocks(pg) >= 4
                        }
                    } catch {
                        Issue.record("writer: \(writer.metrics.snapshot), queued \(writer.queueDepth); sessions: \(try await Self.sessionStates(pg))")
                        throw error
                    }
                    release()
                    try await Harness.waitUntil("the spool is replayed") {
                        writer.spool.isEmpty && writer.metrics.snapshot.replayed == before.replayed + 300
                    }
                }
                for i in 300..<500 { writer.record(SyntheticComparisons.make(index: i, at: at)) }
                try await Harness.waitUntil("the later batches are written") { writer.metrics.snapshot.written == 501 }
                return writer.metrics
            }
        }
        let s = metrics.snapshot
        #expect(s.spooled >= 300 && s.replayed == s.spooled, "the 300 given up on (and perhaps the first) replayed")
        #expect(s.written == 501, "each comparison counted once, written directly or replayed")
        #expect(s.droppedTotal == 0)
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons == 501 + seed.count)
        #expect(counts.discrepancies == 3 * (501 + seed.count))
        try await RollupCheck.expectConsistent(url)
    }

    /// Live batches (`mayBeStored: false`, no look-up) and replayed copies overlapping them, all inserted at once,
    /// one of them over rows already stored: every comparison is stored once and counted once in the rollups.
    static func overlappingBatchesAtOnce(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let at = Date()
        let encoder = try Self.encoder()
        let rows = (0..<600).map { encoder.encode(SyntheticComparisons.make(index: $0, at: at)) }
        try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            // A batch whose first write committed after the writer had given up on it.
            try await store.insert(Array(rows[0..<50]))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for start in stride(from: 0, to: rows.count, by: 100) {
                    let live = Array(rows[start..<start + 100])
                    group.addTask { try await store.insert(live, mayBeStored: false) }
                }
                for range in [0..<150, 250..<350, 420..<600] {
                    let replayed = Array(rows[range])
                    group.addTask { try await store.insert(replayed, mayBeStored: true) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.counts() == LedgerCounts(comparisons: 600, discrepancies: 1_800, gaps: 0, droppedInGaps: 0))
            #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: rows), "each comparison counted once")
        }
    }

    // MARK: Support

    /// Runs `body` while a transaction of its own holds every `rollup_outcomes` row locked (`FOR UPDATE`); `body`
    /// gets the function that ends it (it also ends when `body` returns or throws). A batch adding to a locked
    /// row waits in the database, in flight, until then.
    static func withRollupRowsLocked<T: Sendable>(
        _ pg: PostgresLedgerStore,
        _ body: @Sendable (_ release: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        let (locked, lockedSignal) = AsyncStream.makeStream(of: Void.self)
        let (released, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { lockedSignal.finish() }
                try await pg.client.withTransaction(logger: .test) { conn in
                    let rows = try await conn.query("SELECT hour FROM tapcompare.rollup_outcomes FOR UPDATE", logger: .test)
                    for try await _ in rows {}
                    lockedSignal.finish()
                    for await _ in released {}
                }
            }
            for await _ in locked {}
            let result: T
            do {
                result = try await body { releaseSignal.finish() }
            } catch {
                releaseSignal.finish()
                throw error
            }
            releaseSignal.finish()
            try await group.waitForAll()
            return result
        }
    }

    /// What each session of the test's database is doing (`state/wait_event_type/wait_event: query`), for a failure
    /// message.
    static func sessionStates(_ pg: PostgresLedgerStore) async throws -> [String] {
        let rows = try await pg.client.query("""
            SELECT concat_ws(' ', state, wait_event_type, wait_event, left(query, 60)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """, logger: .test)
        var states: [String] = []
        for try await (state) in rows.decode(String.self) { states.append(state) }
        return states
    }

    /// Sessions of the test's database waiting for a lock (a row or another transaction's rows).
    static func sessionsWaitingOnLocks(_ pg: PostgresLedgerStore) async throws -> Int {
        let rows = try await pg.client.query(
            "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            logger: .test
        )
        var n = 0
        for try await (count) in rows.decode(Int.self) { n = count }
        return n
    }
}
