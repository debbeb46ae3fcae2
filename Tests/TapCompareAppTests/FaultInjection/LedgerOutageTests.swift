import Foundation
import TapCompareApp
import TapCompareLedger
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// The ledger's database killed under load, and the spool with no room or a full disk: clients never notice,
    /// every comparison is either stored or counted as dropped with its reason, and a gap row says what is missing.
    ///
    /// Each test starts its own PostgreSQL cluster (`scripts/postgres.sh`) so the outage never hits other tests.
    /// They run where the suite's Postgres runs (`TAPCOMPARE_TEST_POSTGRES_URL` set, always under `CI`).
    @Suite("Ledger outage", .enabled(if: PostgresAvailability.available, "TAPCOMPARE_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)"))
    struct LedgerOutage {

        func withCluster(_ body: (PostgresCluster) async throws -> Void) async throws {
            let cluster = try await PostgresCluster.start()
            do {
                try await body(cluster)
            } catch {
                await cluster.stop()
                throw error
            }
            await cluster.stop()
        }

        /// The order of events is driven, not raced: traffic before the kill is written, traffic while the server
        /// is down (its port refusing connections) meets the outage, traffic after the restart meets a server that
        /// is back. So the spool is used exactly for the outage's comparisons, however fast or slow the machine.
        @Test("PostgreSQL killed and restarted during load: after the drain, rows recorded equal comparisons made")
        func postgresKilledUnderLoad() async throws {
            try await self.withCluster { cluster in
                let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"v":1}"#)) }
                let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"v":2}"#)) }
                try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in
                    c.ledger.url = try LedgerURL(parsing: cluster.urlText)
                }) { serve in
                    let writer = serve.assembly.writer
                    /// `count` requests from 4 concurrent clients, each answered with legacy's bytes.
                    func load(_ phase: String, count: Int) async throws {
                        try await withThrowingTaskGroup(of: Void.self) { clients in
                            for worker in 0..<4 {
                                clients.addTask {
                                    for i in stride(from: worker, to: count, by: 4) {
                                        let response = try await serve.get("/fault/pg-outage", requestID: "\(phase)-\(i)")
                                        #expect(response?.status == 200)
                                        #expect(response?.bodyText == #"{"v":1}"#)
                                    }
                                }
                            }
                            try await clients.waitForAll()
                        }
                    }

                    // Before: the server is up, every comparison is written directly.
                    try await load("before", count: 40)
                    try await eventually("the 40 comparisons before the outage are written", timeout: .seconds(30)) {
                        writer.metrics.snapshot.written == 40
                    }
                    #expect(writer.metrics.snapshot.spooled == 0)

                    // During: the server is down (halt returns once its port refuses connections).
                    try await cluster.halt()
                    try await load("during", count: 100)
                    try await eventually("the 100 comparisons made during the outage are spooled", timeout: .seconds(30)) {
                        writer.metrics.snapshot.spooled == 100
                    }
                    #expect(writer.metrics.snapshot.written == 40, "nothing reached a database that was down")

                    // After: the server is back. New traffic arrives while the spool replays; it queues behind the
                    // spool (the ledger keeps recording order), so how much of it is spooled depends on timing, but
                    // every comparison must end up written once, and everything spooled replayed.
                    try await cluster.resume()
                    try await load("after", count: 60)

                    let total = 200
                    try await eventually("the spool is replayed and every comparison written", timeout: .seconds(40)) {
                        let snapshot = writer.metrics.snapshot
                        return snapshot.written == total && snapshot.replayed == snapshot.spooled
                    }
                    let rows = try await serve.rows()
                    let metrics = try await serve.metrics()
                    let compared = metrics.value("tapcompare_comparisons_total", ["route": "GET /fault/pg-outage"])
                    #expect(compared == Double(total))
                    #expect(rows.count == total)
                    #expect(Set(rows.map(\.requestID)).count == total, "every comparison recorded exactly once")
                    #expect(rows.allSatisfy { $0.outcome == "mismatch" })
                    let ledger = writer.metrics.snapshot
                    #expect(ledger.spooled >= 100, "every comparison of the outage went through the spool: \(ledger)")
                    #expect(ledger.replayed == ledger.spooled)
                    #expect(ledger.droppedTotal == 0)
                    #expect(try await serve.assembly.store.gaps().isEmpty)
                }
                try await legacy.shutdown()
                try await candidate.shutdown()
            }
        }

        @Test("a spool at spool_max_bytes while PostgreSQL is down: drops counted spool_full, a gap row once it is back")
        func spoolCapReached() async throws {
            try await self.withCluster { cluster in
                try await cluster.halt()
                let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
                let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
                try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in
                    c.ledger.url = try LedgerURL(parsing: cluster.urlText)
                    // Room for a few comparisons only; one per batch, so each is spooled or dropped on its own.
                    c.ledger.spoolMaxBytes = 4 << 10
                    c.ledger.batchSize = 1
                }) { serve in
                    let before = try await serve.metrics()
                    let sent = 40
                    for i in 0..<sent {
                        let response = try await serve.get("/fault/spool-cap", requestID: "cap-\(i)")
                        #expect(response?.status == 200)
                        #expect(response?.bodyText == "legacy")
                    }
                    let writer = serve.assembly.writer
                    try await Self.waitUntil { writer.metrics.snapshot.spooled + writer.metrics.snapshot.droppedTotal == sent }
                    let down = writer.metrics.snapshot
                    #expect(down.spooled > 0, "some batches fit in the spool: \(down)")
                    #expect(down.dropped["spool_full", default: 0] > 0, "the rest was dropped: \(down)")
                    #expect(down.droppedTotal == down.dropped["spool_full", default: 0])
                    let after = try await serve.metrics()
                    let reason = ["reason": "spool_full"]
                    #expect(after.value("tapcompare_ledger_dropped_total", reason) - before.value("tapcompare_ledger_dropped_total", reason) == Double(down.droppedTotal))

                    try await cluster.resume()
                    try await Self.waitUntil { writer.metrics.snapshot.replayed == down.spooled && writer.metrics.snapshot.gapsWritten == 1 }
                    let rows = try await serve.rows()
                    #expect(rows.count == down.spooled)
                    let gaps = try await serve.assembly.store.gaps()
                    #expect(gaps.map(\.reason) == ["spool_full"])
                    // Every comparison made is either a row or counted in the gap.
                    #expect(rows.count + gaps.reduce(0) { $0 + $1.count } == sent)
                }
                try await legacy.shutdown()
                try await candidate.shutdown()
            }
        }

        /// Polls `condition` for up to 40 s, scaled (the database pool reconnects with a backoff after an outage).
        static func waitUntil(_ condition: () -> Bool) async throws {
            #expect(await pollUntil(timeout: .seconds(40), poll: .milliseconds(25), condition))
        }

        @Test(
            "a spool on a full disk while PostgreSQL is down: write errors drop with spool_error, nothing else is lost",
            .enabled(if: TinyFilesystem.available, "mounting a tmpfs needs root with CAP_SYS_ADMIN")
        )
        func spoolDiskFull() async throws {
            try await self.withCluster { cluster in
                try await cluster.halt()
                let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"pad":"\#(String(repeating: "p", count: 2_000))"}"#)) }
                let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"pad":"different"}"#)) }
                let spool = try ServeHarness.temporaryDirectory()
                try await TinyFilesystem.mount(at: spool, bytes: 64 << 10)
                do {
                    try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in
                        c.ledger.url = try LedgerURL(parsing: cluster.urlText)
                        c.ledger.spoolDirectory = spool + "/spool"
                        c.ledger.batchSize = 1
                    }) { serve in
                        let sent = 60
                        for i in 0..<sent {
                            let response = try await serve.get("/fault/spool-disk", requestID: "disk-\(i)")
                            #expect(response?.status == 200)
                        }
                        let writer = serve.assembly.writer
                        try await Self.waitUntil { writer.metrics.snapshot.spooled + writer.metrics.snapshot.droppedTotal == sent }
                        let down = writer.metrics.snapshot
                        #expect(down.spooled > 0, "some batches fit on the disk: \(down)")
                        #expect(down.dropped["spool_error", default: 0] > 0, "the disk never filled: \(down)")

                        try await cluster.resume()
                        try await Self.waitUntil { writer.metrics.snapshot.replayed == down.spooled && writer.metrics.snapshot.gapsWritten >= 1 }
                        let rows = try await serve.rows()
                        #expect(rows.count == down.spooled)
                        let gaps = try await serve.assembly.store.gaps()
                        // Every comparison is either in the ledger or accounted for by a gap row.
                        #expect(gaps.allSatisfy { $0.reason == "spool_error" })
                        #expect(rows.count + gaps.reduce(0) { $0 + $1.count } == sent)
                    }
                } catch {
                    await TinyFilesystem.unmount(spool)
                    throw error
                }
                await TinyFilesystem.unmount(spool)
                try await legacy.shutdown()
                try await candidate.shutdown()
            }
        }
    }
}

/// Whether the PostgreSQL binaries are expected: where the suite's Postgres runs, and always under `CI` (so CI can
/// never pass by skipping).
enum PostgresAvailability {
    static var available: Bool {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["TAPCOMPARE_TEST_POSTGRES_URL"] ?? "").isEmpty || !(environment["CI"] ?? "").isEmpty
    }
}

/// A real, tiny filesystem (tmpfs) to fill up: the honest way to make writes fail with "no space left".
enum TinyFilesystem {
    /// Whether this process may mount one (root with CAP_SYS_ADMIN, as in CI containers run privileged).
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-tmpfs-probe-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard Self.runSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) == 0 else { return false }
        _ = Self.runSync(["umount", probe])
        return true
    }()

    static func mount(at path: String, bytes: Int) async throws {
        try await runProcess(["mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
    }

    static func unmount(_ path: String) async {
        _ = try? await runProcess(["umount", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func runSync(_ arguments: [String]) -> Int32 {
        (try? SpawnedProcess.start(arguments))?.waitUntilExit() ?? -1
    }
}
