import Foundation
import SQLiteNIO
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

@Suite("Ledger on SQLite", .timeLimit(.minutes(TestTiming.minutes(2))))
struct SQLiteLedgerTests {
    @Test func rollupsMatchRawAfterWrites() async throws {
        try await RollupScenarios.rollupsMatchRawAfterWrites(.sqlite)
    }

    @Test func migrationBackfillsRollups() async throws {
        try await RollupScenarios.migrationBackfill(.sqlite)
    }

    @Test func migrationsFromEmptyAndRerun() async throws {
        try await LedgerScenarios.migrationsFromEmptyAndRerun(.sqlite)
    }

    @Test func migration7AddsCandidateVersions() async throws {
        try await LedgerScenarios.migration7AddsCandidateVersions(.sqlite)
    }

    @Test func grpcCallsRoundTrip() async throws {
        try await GRPCLedgerScenarios.roundTrip(.sqlite)
    }

    @Test func grpcMessagesAreRedactedBeforeStorage() async throws {
        try await GRPCLedgerScenarios.redactedMessagesStayOutOfStorage(.sqlite)
    }

    @Test func noiseModelPublishing() async throws {
        try await LedgerScenarios.noiseModelPublishing(.sqlite)
    }

    @Test func insertRoundTripsAndIsIdempotent() async throws {
        try await LedgerScenarios.insertRoundTripsAndIsIdempotent(.sqlite)
    }

    @Test("text with tabs, newlines, backslashes, Unicode and NULLs round-trips exactly; a replayed batch is stored and counted once")
    func escapingRoundTripsAndReplayIsIdempotent() async throws {
        try await EscapingScenarios.roundTripAndReplay(.sqlite)
    }

    @Test func concurrentWriters() async throws {
        try await LedgerScenarios.concurrentWriters(.sqlite)
    }

    @Test("live and replayed batches sharing ids, inserted at once, store and count each comparison once")
    func overlappingBatchesAtOnce() async throws {
        try await ConcurrentBatchScenarios.overlappingBatchesAtOnce(.sqlite)
    }

    /// The writer takes the next full batch off the queue while it writes the current one
    /// (``LedgerConfiguration/encodeAhead``): a shutdown with a batch held ahead still writes it.
    @Test(arguments: [true, false])
    func shutdownWritesTheBatchEncodedAhead(encodeAhead: Bool) async throws {
        let url = try await Backend.sqlite.freshURL()
        var configuration = Harness.configuration(url: url, batchSize: 10)
        configuration.encodeAhead = encodeAhead
        let written = try await Harness.withWriter(configuration) { writer in
            for i in 0..<1_005 { writer.record(SyntheticComparisons.make(index: i)) }
            return writer.metrics
        }
        #expect(written.snapshot.written == 1_005)
        #expect(written.snapshot.droppedTotal == 0 && written.snapshot.spooled == 0)
        #expect(try await Harness.counts(url) == LedgerCounts(comparisons: 1_005, discrepancies: 3_015, gaps: 0, droppedInGaps: 0))
        try await RollupCheck.expectConsistent(url)
    }

    /// sqlite-nio opens connections with extended result codes, so a refused row reports `SQLITE_CONSTRAINT_TRIGGER`
    /// (or `_CHECK`, `_NOTNULL`, …), not `SQLITE_CONSTRAINT`: read as an outage, the row was retried forever and
    /// held every later batch behind it in the spool.
    @Test("a row SQLite refuses by a constraint, reported with its extended code, is refused data, not an outage")
    func extendedConstraintCodesAreRefusals() async throws {
        let url = try await Backend.sqlite.freshURL()
        guard case .sqlite(let path) = url.backend else { return }
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let conn = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await conn.query("CREATE TRIGGER test_refuse BEFORE INSERT ON comparisons BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        try await conn.close()
        try await Harness.withStore(url) { store in
            let error = await #expect(throws: LedgerError.self) { try await store.insert(EscapingScenarios.batch()) }
            #expect(error?.isRejected == true, "\(String(describing: error))")
            #expect(error?.isStoreUnavailable == false)
        }
    }

    @Test func newerSchemaIsRefused() async throws {
        try await LedgerScenarios.newerSchemaIsRefused(.sqlite) { url in
            guard case .sqlite(let path) = url.backend else { return }
            let conn = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await conn.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'a newer tapcompare')")
            try await conn.close()
        }
    }

    /// Another process holding SQLite's write lock makes the ledger refuse writes, a real failure of a real file.
    @Test func outageWhileLockedByAnotherWriter() async throws {
        let url = try await Backend.sqlite.freshURL()
        guard case .sqlite(let path) = url.backend else { return }
        let blocker = BlockerBox()
        try await LedgerScenarios.outage(.sqlite, url: url, goDown: {
            let conn = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await conn.query("BEGIN EXCLUSIVE")
            blocker.set(conn)
        }, comeBack: {
            let conn = try #require(blocker.take())
            _ = try await conn.query("COMMIT")
            try await conn.close()
        })
    }

    /// The database file's directory does not exist: the store cannot open until it is created.
    @Test func spoolCapAndGapRow() async throws {
        let directory = Harness.temporaryDirectory() + "/not-yet"
        let url = LedgerURL(backend: .sqlite(path: directory + "/ledger.sqlite"))
        try await LedgerScenarios.spoolCapAndGap(.sqlite, downURL: url, readURL: { url }, comeBack: {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        })
    }

    @Test func gapRowWrittenWhenTheLedgerIsBackWithoutLaterTraffic() async throws {
        let directory = Harness.temporaryDirectory() + "/not-yet"
        let url = LedgerURL(backend: .sqlite(path: directory + "/ledger.sqlite"))
        try await LedgerScenarios.gapWithoutLaterTraffic(downURL: url, comeBack: {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        })
    }

    @Test func sigkillLosesNothingSpooled() async throws {
        let down = LedgerURL(backend: .sqlite(path: Harness.temporaryDirectory() + "/missing/ledger.sqlite"))
        try await LedgerScenarios.sigkill(.sqlite, downURL: down, url: try await Backend.sqlite.freshURL())
    }

    @Test func redaction() async throws {
        try await LedgerScenarios.redaction(.sqlite)
    }

    @Test func undecodableSpoolFramesAreCountedAndRecorded() async throws {
        try await SpoolAccountingScenarios.undecodableFramesAreCountedAndRecorded(.sqlite)
    }

    @Test func damagedSpoolBytesAreRecordedAsAGap() async throws {
        try await SpoolAccountingScenarios.damagedSpoolBytesAreRecordedAsAGap(.sqlite)
    }

    @Test func spoolFsyncFailureIsNotAGap() async throws {
        try await SpoolAccountingScenarios.fsyncFailureIsNotAGap(.sqlite, downURL: Self.downURL())
    }

    @Test func failedSpoolWriteIsOneGap() async throws {
        try await SpoolAccountingScenarios.failedSpoolWriteIsOneGap(.sqlite, downURL: Self.downURL())
    }

    @Test func refusedRowsOfAnInterruptedReplayAreCountedOnce() async throws {
        try await SpoolAccountingScenarios.refusedRowsOfAnInterruptedReplayAreCountedOnce(.sqlite)
    }

    @Test func replayedSegmentThatCannotBeDeletedIsNotReplayedAgain() async throws {
        try await SpoolAccountingScenarios.replayedSegmentThatCannotBeDeletedIsNotReplayedAgain(.sqlite)
    }

    @Test func replayedSegmentIsDeletedAtALaterRetry() async throws {
        try await SpoolAccountingScenarios.replayedSegmentIsDeletedAtALaterRetry(.sqlite)
    }

    @Test func failedSpoolWriteWhoseTruncateFailsIsOneGapAfterARestart() async throws {
        try await SpoolAccountingScenarios.failedSpoolWriteWhoseTruncateFailsIsOneGapAfterARestart(.sqlite, downURL: Self.downURL())
    }

    /// A ledger whose directory does not exist: every write fails, and batches are spooled.
    static func downURL() -> LedgerURL {
        LedgerURL(backend: .sqlite(path: Harness.temporaryDirectory() + "/missing/ledger.sqlite"))
    }

    @Test func pruneDeletesOldRows() async throws {
        try await LedgerScenarios.prune(.sqlite)
    }

    @Test func summaryViewsAnswer() async throws {
        let url = try await Backend.sqlite.freshURL()
        guard case .sqlite(let path) = url.backend else { return }
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 0)
        try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            try await store.insert((0..<10).map { encoder.encode(SyntheticComparisons.make(index: $0 * 5)) })
        }
        let conn = try await SQLiteConnection.open(storage: .file(path: path))
        let routes = try await conn.query("SELECT route, compared, mismatched, legacy_p50_ms, legacy_p99_ms FROM route_summary")
        let fields = try await conn.query("SELECT field, count, example_ids FROM field_summary ORDER BY field")
        try await conn.close()
        #expect(routes.count == 1)
        #expect(routes.first?.column("compared")?.integer == 10)
        #expect(routes.first?.column("mismatched")?.integer == 10)
        // Legacy latencies 2.0, 2.5, …, 6.5 ms: nearest-rank p50 is the 5th (4.0), p99 the 10th (6.5).
        #expect(routes.first?.column("legacy_p50_ms")?.double == 4.0)
        #expect(routes.first?.column("legacy_p99_ms")?.double == 6.5)
        #expect(fields.map { $0.column("field")?.string } == ["$.created_at", "$.score", "$.text"])
        #expect(fields.first?.column("count")?.integer == 10)
        #expect(fields.first?.column("example_ids")?.string?.split(separator: ",").count == 3)
    }
}

final class BlockerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var connection: SQLiteConnection?
    func set(_ c: SQLiteConnection) { lock.lock(); connection = c; lock.unlock() }
    func take() -> SQLiteConnection? { lock.lock(); defer { connection = nil; lock.unlock() }; return connection }
}
