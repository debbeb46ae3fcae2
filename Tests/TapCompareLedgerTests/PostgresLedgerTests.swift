import Foundation
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

    /// A private cluster serving TLS with a certificate of the test's own CA (naming `localhost` and `127.0.0.1`).
    @Test("sslmode=verify-full and verify-ca verify the server against sslrootcert; a server another CA signed is refused")
    func verifiedTLS() async throws {
        _ = try TestPostgres.baseURL()
        let cluster = try await PostgresCluster.start()
        let certificates = try TestCertificates()
        let otherCA = try TestCertificates(commonName: "Another test CA")
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

    @Test func pruneDropsWholePartitions() async throws {
        try await LedgerScenarios.prune(.postgres)
    }
}
