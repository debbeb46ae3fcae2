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

    @Test func noiseModelPublishing() async throws {
        try await LedgerScenarios.noiseModelPublishing(.postgres)
    }

    @Test func insertRoundTripsAndIsIdempotent() async throws {
        try await LedgerScenarios.insertRoundTripsAndIsIdempotent(.postgres)
    }

    @Test func concurrentWriters() async throws {
        try await LedgerScenarios.concurrentWriters(.postgres)
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
