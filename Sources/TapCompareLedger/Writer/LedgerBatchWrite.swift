import Foundation

/// How one batch's write ended, handed from the task that wrote it back to the writer's loop, which owns the
/// state machine, the spool and the gap rows (so only the loop ever touches them, one step at a time).
struct LedgerBatchWrite: Sendable {
    /// Rows not stored because the database was unavailable, slow or failing: the loop spools them. Empty when
    /// every row is stored or refused.
    var unwritten: [LedgerComparison] = []
    /// Rows the database refused (a value it cannot hold): dropped, already counted in the metrics; the loop
    /// records them in a gap row.
    var refused: [LedgerComparison] = []
    /// Why the database failed, for the log line that starts an outage.
    var failure: String?

    /// The outcome as the state machine takes it.
    var outcome: LedgerWriterStateMachine.WriteOutcome {
        self.unwritten.isEmpty ? .written : .failed
    }
}
