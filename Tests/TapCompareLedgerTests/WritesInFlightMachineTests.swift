import Foundation
import Testing
@testable import TapCompareLedger

/// The state machine's writes in flight (`ledger.writers`), driven without a database.
@Suite("Writer state machine: batches in flight")
struct WritesInFlightMachineTests {
    let t0 = ContinuousClock.now

    @Test func writesUpToTheLimitThenTheNextBatchWaitsForAWriter() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 3)
        for _ in 0..<3 {
            #expect(machine.action(forBatchAt: t0) == .write)
            machine.writeStarted()
        }
        #expect(machine.writesInFlight == 3)
        #expect(machine.action(forBatchAt: t0) == .waitForWriter, "a fourth batch stays queued")
        #expect(machine.writeFinished(.written, at: t0) == .done)
        #expect(machine.action(forBatchAt: t0) == .write, "a finished write frees its writer")
    }

    @Test func aFailedWriteIsSpooledAndLaterBatchesQueueBehindIt() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 3)
        machine.writeStarted()
        machine.writeStarted()
        #expect(machine.writeFinished(.failed, at: t0) == .spool(outageStarted: true))
        machine.spooled()
        #expect(machine.action(forBatchAt: t0) == .spool, "a writer is free, but the spool holds older rows")
        #expect(machine.writeFinished(.failed, at: t0) == .spool(outageStarted: false), "the same outage")
        #expect(!machine.shouldReplay(at: t0 + .milliseconds(500)))
        #expect(machine.shouldReplay(at: t0 + .seconds(1)))
    }

    @Test func aWriteThatSucceedsAfterAnotherFailedMeansTheLedgerIsBack() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(60), maxWritesInFlight: 2)
        machine.writeStarted()
        machine.writeStarted()
        #expect(machine.writeFinished(.failed, at: t0) == .spool(outageStarted: true))
        machine.spooled()
        #expect(!machine.shouldReplay(at: t0 + .seconds(1)))
        #expect(machine.writeFinished(.written, at: t0 + .seconds(1)) == .done)
        #expect(machine.shouldReplay(at: t0 + .seconds(1)), "no need to wait for the retry interval")
    }

    @Test func spoolingNeverWaitsForAWriter() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 1)
        machine.writeStarted()
        _ = machine.storeFailed(at: t0)
        #expect(machine.action(forBatchAt: t0) == .spool)
    }

    @Test func stoppingWaitsForEveryWriteInFlight() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 3)
        #expect(machine.mayStop)
        machine.writeStarted()
        machine.writeStarted()
        #expect(!machine.mayStop)
        _ = machine.writeFinished(.written, at: t0)
        #expect(!machine.mayStop)
        _ = machine.writeFinished(.failed, at: t0)
        #expect(machine.mayStop)
    }

    @Test func gapRowsWaitForTheWritesInFlight() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 3)
        machine.writeStarted()
        let d = Date(timeIntervalSince1970: 1_000)
        machine.dropped(count: 4, from: d, to: d, reason: "queue_full")
        #expect(!machine.shouldWriteGaps(at: t0), "rows recorded before the gap are still being written")
        #expect(machine.maintenanceDeadline == nil, "the writer wakes when the write finishes, not on a timer")
        _ = machine.writeFinished(.written, at: t0)
        #expect(machine.shouldWriteGaps(at: t0))
        #expect(machine.maintenanceDeadline != nil)
    }

    @Test func oneWriterAtLeast() {
        let machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1), maxWritesInFlight: 0)
        #expect(machine.maxWritesInFlight == 1)
        #expect(machine.action(forBatchAt: t0) == .write)
    }
}
