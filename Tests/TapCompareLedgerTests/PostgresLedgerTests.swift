import Foundation
import PostgresNIO
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// The same scenarios as ``SQLiteLedgerTests`` against a real PostgreSQL. Skipped (visibly) when
/// `TAPCOMPARE_TEST_POSTGRES_URL` is unset, except under `CI`, where they run and fail.
@Suite("Ledger on Postgres", .enabled(if: TestPostgres.enabled, TestPostgres.skipReason), .timeLimit(.minutes(TestTiming.minutes(3))))
struct PostgresLedgerTests {
    @Test func rollupsMatchRawAfterWrites() async throws {
        try await RollupScenarios.rollupsMatchRawAfterWrites(.postgres)
    }

    @Test func migrationBackfillsRollups() async throws {
        try await RollupScenarios.migrationBackfill(.postgres)
    }

    @Test func migrationsFromEmptyAndRerun() async throws {
        try await LedgerScenarios.migrationsFromEmptyAndRerun(.postgres)
    }

    @Test func newerSchemaIsRefused() async throws {
        try await LedgerScenarios.newerSchemaIsRefused(.postgres) { url in
            try await Harness.withStore(url) { store in
                let pg = try #require(store as? PostgresLedgerStore)
                try await pg.client.query("INSERT INTO tapcompare.schema_migrations (version, name) VALUES (99, 'a newer tapcompare')")
            }
        }
    }

    @Test func migration7AddsCandidateVersions() async throws {
        try await LedgerScenarios.migration7AddsCandidateVersions(.postgres)
    }

    @Test func grpcCallsRoundTrip() async throws {
        try await GRPCLedgerScenarios.roundTrip(.postgres)
    }

    @Test func grpcMessagesAreRedactedBeforeStorage() async throws {
        try await GRPCLedgerScenarios.redactedMessagesStayOutOfStorage(.postgres)
    }

    @Test func noiseModelPublishing() async throws {
        try await LedgerScenarios.noiseModelPublishing(.postgres)
    }

    @Test func insertRoundTripsAndIsIdempotent() async throws {
        try await LedgerScenarios.insertRoundTripsAndIsIdempotent(.postgres)
    }

    @Test("text with tabs, newlines, backslashes, Unicode and NULLs round-trips exactly; a replayed batch is stored and counted once")
    func escapingRoundTripsAndReplayIsIdempotent() async throws {
        try await EscapingScenarios.roundTripAndReplay(.postgres)
    }

    @Test func concurrentWriters() async throws {
        try await LedgerScenarios.concurrentWriters(.postgres)
    }

    @Test("batches in flight at once add to the same rollup rows without a deadlock; a shutdown waits for them")
    func batchesInFlightShareRollupRowsAndShutdownWaits() async throws {
        try await ConcurrentBatchScenarios.sharedRollupKeysAndShutdownWaits()
    }

    @Test("a spool replayed while the writes it replaces still run stores and counts each comparison once")
    func replayWhileTheWritesItReplacesStillRun() async throws {
        try await ConcurrentBatchScenarios.replayWhileTheWritesItReplacesStillRun()
    }

    @Test("live and replayed batches sharing ids, inserted at once, store and count each comparison once")
    func overlappingBatchesAtOnce() async throws {
        try await ConcurrentBatchScenarios.overlappingBatchesAtOnce(.postgres)
    }

    /// Stops a private Postgres cluster mid-run with `pg_ctl stop -m immediate` and starts it again.
    @Test func outageWhilePostgresIsStopped() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        do {
            try await LedgerScenarios.outage(.postgres, url: try cluster.url, goDown: { try await cluster.halt() }, comeBack: { try await cluster.resume() })
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// PostgresNIO's pool holds a lease while its connects are refused (for up to a minute). The store checks that
    /// the server takes connections before a write while it is not known to be up, and during a write still running
    /// after a second, so a write to a server that is down fails at once and is spooled.
    @Test("while PostgreSQL refuses connections a write fails at once, naming the address, and is spooled rather than held for ledger.write_timeout; a read fails at once too")
    func refusedConnectionsAreNotWaitedOut() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        do {
            let url = try cluster.url
            // A write timeout longer than the test's own limit: only a write that fails at once lets a batch reach
            // the spool.
            let configuration = Harness.configuration(url: url, batchSize: 1, writeTimeout: .seconds(3_600))
            let ledger = try await Harness.withWriter(configuration) { writer in
                writer.record(SyntheticComparisons.make(index: 0))
                try await Harness.waitUntil("the first comparison is written") { writer.metrics.snapshot.written == 1 }
                // Down after a write succeeded: the next write goes to the pool and is cut by the check.
                try await cluster.halt()
                for index in 1...3 { writer.record(SyntheticComparisons.make(index: index)) }
                try await Harness.waitUntil("the three comparisons made while it is down are spooled") { writer.metrics.snapshot.spooled == 3 }
                #expect(writer.metrics.snapshot.written == 1)
                try await cluster.resume()
                try await Harness.waitUntil("the spool is replayed") { writer.metrics.snapshot.replayed == 3 }
                return writer.metrics.snapshot
            }
            #expect(ledger.droppedTotal == 0)
            #expect(try await Harness.counts(url).comparisons == 4)

            // A store that never reached the server says which address refuses, at once.
            try await cluster.halt()
            let error = await #expect(throws: LedgerError.self) {
                try await Harness.withStore(url) { store in _ = try await store.migrate() }
            }
            #expect(error?.message.contains("does not take connections at 127.0.0.1:\(cluster.port)") == true, "\(String(describing: error))")
            // So does a reader (`tapcompare report`, the UI), which waited a minute for the pool to give up.
            let readError = await #expect(throws: LedgerError.self) {
                try await Harness.withReader(url) { reader in _ = try await reader.annotationCount() }
            }
            #expect(readError?.message.contains("does not take connections at 127.0.0.1:\(cluster.port)") == true, "\(String(describing: readError))")
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// The pool holds a lease through a minute of failed log-ins too, and then said only "could not connect to the
    /// server". The store logs in once before its first operation, so a wrong password or database name fails a
    /// write or a read at once, in the server's words, and never shows the password. A refusal that is the server's
    /// state rather than the URL's (here a database that takes no connections) says so instead.
    @Test("a wrong password or database name, or a database that takes no connections, fails a write and a read at once with the server's reason, not after the pool's minute")
    func refusedLogInIsReportedAtOnce() async throws {
        guard case .postgres(let base) = try TestPostgres.baseURL().backend else { throw TestSetupError("not a postgres:// URL") }
        var wrongPassword = base
        wrongPassword.password = "not-the-password-\(UUID().uuidString.prefix(8))"
        var missingDatabase = base
        missingDatabase.database = "tc_missing_\(UUID().uuidString.lowercased().prefix(8))"
        let full = try await TestPostgres.freshDatabase()
        guard case .postgres(let fullDatabase) = full.backend else { throw TestSetupError("not a postgres:// URL") }
        try await Harness.withStore(try TestPostgres.baseURL()) { store in
            let pg = try #require(store as? PostgresLedgerStore)
            try await pg.client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(fullDatabase.database) CONNECTION LIMIT 0"))
        }
        let urlHint = "are the user name, password and database in the URL right?"
        let cases: [(url: LedgerURL, reason: String, hint: String, secret: String)] = [
            (LedgerURL(backend: .postgres(wrongPassword)), #"password authentication failed for user "\#(base.username)" (SQLSTATE 28P01)"#, urlHint, wrongPassword.password ?? ""),
            (LedgerURL(backend: .postgres(missingDatabase)), #"database "\#(missingDatabase.database)" does not exist (SQLSTATE 3D000)"#, urlHint, base.password ?? ""),
            (full, #"too many connections for database "\#(fullDatabase.database)" (SQLSTATE 53300)"#, "the server cannot take this session now", base.password ?? ""),
        ]
        for (url, reason, hint, secret) in cases {
            let error = await #expect(throws: LedgerError.self) {
                try await Harness.withStore(url) { store in _ = try await store.migrate() }
            }
            #expect(error?.message.contains("refused the log-in: \(reason) (\(hint))") == true, "\(String(describing: error))")
            let readError = await #expect(throws: LedgerError.self) {
                try await Harness.withReader(url) { reader in _ = try await reader.annotationCount() }
            }
            #expect(readError?.message.contains("refused the log-in: \(reason) (\(hint))") == true, "\(String(describing: readError))")
            for message in [error?.message, readError?.message].compactMap({ $0 }) {
                #expect(!secret.isEmpty && !message.contains(secret), "the password never appears")
            }
        }
    }

    /// A private cluster serving TLS with a certificate of the test's own CA (naming `localhost` and `127.0.0.1`).
    @Test("sslmode=verify-full and verify-ca verify the server against sslrootcert; a server another CA signed is refused")
    func verifiedTLS() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Another test CA")
        defer {
            certificates.remove()
            otherCA.remove()
        }
        do {
            try await cluster.enableTLS(certificateFile: certificates.certificateFile, keyFile: certificates.keyFile)
            guard case .postgres(var postgres) = try cluster.url.backend else { throw TestSetupError("the cluster's URL is not postgres://") }
            postgres.sslRootCert = certificates.caFile
            let cases: [(host: String, mode: LedgerURL.SSLMode)] = [("127.0.0.1", .verifyFull), ("localhost", .verifyFull), ("127.0.0.1", .verifyCA)]
            for (host, mode) in cases {
                postgres.host = host
                postgres.sslMode = mode
                let url = LedgerURL(backend: .postgres(postgres))
                let counts = try await Harness.withStore(url) { store in
                    _ = try await store.migrate()
                    return try await store.counts()
                }
                #expect(counts.comparisons == 0, "\(host) \(mode)")
            }
            // The same server is not trusted through another CA: the connection fails, nothing is written.
            postgres.host = "127.0.0.1"
            postgres.sslMode = .verifyFull
            postgres.sslRootCert = otherCA.caFile
            let untrusted = LedgerURL(backend: .postgres(postgres))
            var configuration = Harness.configuration(url: untrusted, writeTimeout: .seconds(2))
            configuration.retryInterval = .seconds(60)
            let failed = try await Harness.withWriter(configuration) { writer in
                writer.record(SyntheticComparisons.make(index: 1))
                try await Harness.waitUntil("the write fails and is spooled") { writer.metrics.snapshot.spooled == 1 }
                return writer.metrics.snapshot.written
            }
            #expect(failed == 0)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test func gapRowWrittenWhenTheLedgerIsBackWithoutLaterTraffic() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        do {
            try await cluster.halt()
            try await LedgerScenarios.gapWithoutLaterTraffic(downURL: try cluster.url, comeBack: { try await cluster.resume() })
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test func spoolCapAndGapRow() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        do {
            try await cluster.halt()
            try await LedgerScenarios.spoolCapAndGap(.postgres, downURL: try cluster.url, readURL: { try cluster.url }, comeBack: { try await cluster.resume() })
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test func sigkillLosesNothingSpooled() async throws {
        let url = try await Backend.postgres.freshURL()
        // Nothing listens on port 1: the child spools everything.
        let down = try LedgerURL(parsing: "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable")
        try await LedgerScenarios.sigkill(.postgres, downURL: down, url: url)
    }

    @Test func redaction() async throws {
        try await LedgerScenarios.redaction(.postgres)
    }

    @Test func undecodableSpoolFramesAreCountedAndRecorded() async throws {
        try await SpoolAccountingScenarios.undecodableFramesAreCountedAndRecorded(.postgres)
    }

    @Test func damagedSpoolBytesAreRecordedAsAGap() async throws {
        try await SpoolAccountingScenarios.damagedSpoolBytesAreRecordedAsAGap(.postgres)
    }

    @Test func spoolFsyncFailureIsNotAGap() async throws {
        try await SpoolAccountingScenarios.fsyncFailureIsNotAGap(.postgres, downURL: try Self.downURL())
    }

    @Test func failedSpoolWriteIsOneGap() async throws {
        try await SpoolAccountingScenarios.failedSpoolWriteIsOneGap(.postgres, downURL: try Self.downURL())
    }

    @Test func refusedRowsOfAnInterruptedReplayAreCountedOnce() async throws {
        try await SpoolAccountingScenarios.refusedRowsOfAnInterruptedReplayAreCountedOnce(.postgres)
    }

    @Test func replayedSegmentThatCannotBeDeletedIsNotReplayedAgain() async throws {
        try await SpoolAccountingScenarios.replayedSegmentThatCannotBeDeletedIsNotReplayedAgain(.postgres)
    }

    @Test func replayedSegmentIsDeletedAtALaterRetry() async throws {
        try await SpoolAccountingScenarios.replayedSegmentIsDeletedAtALaterRetry(.postgres)
    }

    @Test func failedSpoolWriteWhoseTruncateFailsIsOneGapAfterARestart() async throws {
        try await SpoolAccountingScenarios.failedSpoolWriteWhoseTruncateFailsIsOneGapAfterARestart(.postgres, downURL: try Self.downURL())
    }

    /// Nothing listens on port 1: every write fails at once, and batches are spooled.
    static func downURL() throws -> LedgerURL {
        try LedgerURL(parsing: "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable")
    }

    @Test func pruneDropsWholePartitions() async throws {
        try await LedgerScenarios.prune(.postgres)
    }
}
