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

        @Test("PostgreSQL killed and restarted during load: after the drain, rows recorded equal comparisons made")
        func postgresKilledUnderLoad() async throws {
            try await self.withCluster { cluster in
                let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"v":1}"#)) }
                let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: #"{"v":2}"#)) }
                try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in
                    c.ledger.url = try LedgerURL(parsing: cluster.urlText)
                }) { serve in
                    let workers = 4
                    let perWorker = 50
                    try await withThrowingTaskGroup(of: Void.self) { load in
                        for worker in 0..<workers {
                            load.addTask {
                                for i in 0..<perWorker {
                                    let response = try await serve.get("/fault/pg-outage", requestID: "w\(worker)-\(i)")
                                    #expect(response?.status == 200)
                                    #expect(response?.bodyText == #"{"v":1}"#)
                                    try await Task.sleep(for: .milliseconds(40))
                                }
                            }
                        }
                        #expect(await legacy.waitUntil(timeout: .seconds(30)) { $0.respondedCount >= 40 })
                        try await cluster.halt()
                        #expect(await legacy.waitUntil(timeout: .seconds(30)) { $0.respondedCount >= 140 })
                        try await cluster.resume()
                        try await load.waitForAll()
                    }
                    let total = workers * perWorker
                    let rows = try await serve.waitForRows(total, timeout: .seconds(40))
                    let metrics = try await serve.metrics()
                    let compared = metrics.value("tapcompare_comparisons_total", ["route": "GET /fault/pg-outage"])
                    #expect(compared == Double(total))
                    #expect(rows.count == total)
                    #expect(Set(rows.map(\.requestID)).count == total)
                    #expect(rows.allSatisfy { $0.outcome == "mismatch" })
                    let ledger = serve.assembly.writer.metrics.snapshot
                    #expect(ledger.spooled > 0, "the outage was not hit: \(ledger)")
                    #expect(ledger.replayed == ledger.spooled)
                    #expect(ledger.droppedTotal == 0)
                    #expect(try await serve.assembly.store.gaps().isEmpty)
                }
                try await legacy.shutdown()
                try await candidate.shutdown()
            }
        }

        @Test("a spool with no room while PostgreSQL is down: drops counted spool_full, a gap row once it is back")
        func spoolCapReached() async throws {
            try await self.withCluster { cluster in
                try await cluster.halt()
                let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
                let candidate = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
                try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in
                    c.ledger.url = try LedgerURL(parsing: cluster.urlText)
                    c.ledger.spoolMaxBytes = 0
                }) { serve in
                    let before = try await serve.metrics()
                    for i in 0..<10 {
                        let response = try await serve.get("/fault/spool-cap", requestID: "cap-\(i)")
                        #expect(response?.status == 200)
                        #expect(response?.bodyText == "legacy")
                    }
                    let writer = serve.assembly.writer
                    let deadline = ContinuousClock.now + .seconds(20)
                    while writer.metrics.snapshot.dropped["spool_full", default: 0] < 10, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(writer.metrics.snapshot.dropped == ["spool_full": 10])
                    let after = try await serve.metrics()
                    let reason = ["reason": "spool_full"]
                    #expect(after.value("tapcompare_ledger_dropped_total", reason) - before.value("tapcompare_ledger_dropped_total", reason) == 10)

                    try await cluster.resume()
                    let response = try await serve.get("/fault/spool-cap", requestID: "cap-after")
                    #expect(response?.status == 200)
                    let rows = try await serve.waitForRows(1, timeout: .seconds(30))
                    #expect(rows.map(\.requestID) == ["cap-after"])
                    let gapDeadline = ContinuousClock.now + .seconds(20)
                    var gaps = try await serve.assembly.store.gaps()
                    while gaps.isEmpty, ContinuousClock.now < gapDeadline {
                        try await Task.sleep(for: .milliseconds(50))
                        gaps = try await serve.assembly.store.gaps()
                    }
                    #expect(gaps.map(\.reason) == ["spool_full"])
                    #expect(gaps.map(\.count) == [10])
                }
                try await legacy.shutdown()
                try await candidate.shutdown()
            }
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
                    }) { serve in
                        let sent = 60
                        for i in 0..<sent {
                            let response = try await serve.get("/fault/spool-disk", requestID: "disk-\(i)")
                            #expect(response?.status == 200)
                        }
                        let writer = serve.assembly.writer
                        let deadline = ContinuousClock.now + .seconds(20)
                        while writer.metrics.snapshot.spooled + writer.metrics.snapshot.droppedTotal < sent, ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        let down = writer.metrics.snapshot
                        #expect(down.dropped["spool_error", default: 0] > 0, "the disk never filled: \(down)")
                        #expect(down.spooled + down.droppedTotal == sent)

                        try await cluster.resume()
                        let rows = try await serve.waitForRows(down.spooled, timeout: .seconds(30))
                        #expect(rows.count == down.spooled)
                        let gapDeadline = ContinuousClock.now + .seconds(20)
                        var gaps = try await serve.assembly.store.gaps()
                        while gaps.isEmpty, ContinuousClock.now < gapDeadline {
                            try await Task.sleep(for: .milliseconds(50))
                            gaps = try await serve.assembly.store.gaps()
                        }
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
