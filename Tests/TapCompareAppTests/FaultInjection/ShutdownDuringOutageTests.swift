import Foundation
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// A pod deleted while its ledger is unreachable: `serve` must still stop on SIGTERM, spooling what it holds,
    /// rather than wait for a database that does not come back until the orchestrator's SIGKILL.
    @Suite("Shutdown while the ledger is down") struct ShutdownDuringOutage {
        @Test(
            "SIGTERM with the ledger unreachable ends serve cleanly, during the start-up attempt and after it",
            .timeLimit(.minutes(TestTiming.minutes(1)))
        )
        func sigtermWithTheLedgerDown() async throws {
            for phase in ["during the start-up attempt", "after the start-up attempt"] {
                let directory = try ServeHarness.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                // Nothing listens there: every connection to the ledger is refused.
                let refused = try await ServeProcess.unusedPort()
                let serve = try await ServeProcess.start(yaml: """
                    legacy: http://127.0.0.1:9
                    candidate: http://127.0.0.1:9
                    ledger:
                      url: postgres://tapcompare:secret@127.0.0.1:\(refused)/tapcompare?sslmode=disable
                      spool_dir: \(directory)/spool

                    """, directory: directory, readyPath: "/healthz")
                defer { serve.terminate() }
                if phase == "after the start-up attempt" {
                    try await eventually("the ledger writer gave up on the ledger at start-up", timeout: .seconds(30)) {
                        serve.log.contains("ledger unavailable at start-up")
                    }
                }
                #expect(try await serve.stop() == 0, "\(phase): \(serve.log)")
            }
        }
    }
}
