import Foundation

/// The writer's decisions, without I/O: whether a batch goes to the database or the spool, when to retry a
/// ledger that is down, when to replay the spool and when gaps can be written.
///
/// Order is the invariant: while anything is spooled, new batches are spooled behind it, so the ledger receives
/// batches in the order they were recorded; a batch goes straight to the database only when the spool is empty.
/// Up to ``maxWritesInFlight`` batches are written at once (`ledger.writers`): those may commit in any order among
/// themselves, which nothing reads into (rollups add up, rows carry their own time), and one that fails is spooled
/// behind whatever was spooled before it.
struct LedgerWriterStateMachine {
    enum StoreState: Equatable {
        case available
        /// The last write failed; nothing is tried before `retryAt`.
        case unavailable(retryAt: ContinuousClock.Instant)
    }

    enum BatchAction: Equatable {
        case write
        case spool
        /// Every writer is busy: the batch stays where it is (queued, or encoded ahead) until a write finishes.
        case waitForWriter
    }

    /// How a write started with ``writeStarted()`` ended.
    enum WriteOutcome: Equatable {
        /// Every row is stored, or refused by the database and dropped (counted): the database is up.
        case written
        /// The database was unavailable, slow or failing: the rows not stored must be spooled.
        case failed
    }

    /// What to do once a write finished.
    enum WriteFinishedAction: Equatable {
        case done
        /// Spool the rows not stored; `outageStarted` when this failure starts an outage (one warning in the log).
        case spool(outageStarted: Bool)
    }

    /// Comparisons dropped for one reason, waiting to be written as a `ledger_gaps` row.
    struct PendingGap: Equatable, Codable {
        var id: UUID
        var reason: String
        var from: Date
        var to: Date
        var count: Int
        /// Set once a write of this row was attempted: a write that timed out may still have committed, so the
        /// row's content must not change under its id; later drops start a new gap.
        var sealed = false
    }

    private(set) var store: StoreState = .available
    private(set) var spoolPending: Bool
    private(set) var gaps: [PendingGap]
    let retryInterval: Duration
    /// `ledger.writers`: the most batches being written at once, each on its own connection.
    let maxWritesInFlight: Int
    /// Batches handed to a writer and not yet finished.
    private(set) var writesInFlight = 0

    init(spoolPending: Bool, gaps: [PendingGap] = [], retryInterval: Duration, maxWritesInFlight: Int = 1) {
        self.spoolPending = spoolPending
        self.gaps = gaps
        self.retryInterval = retryInterval
        self.maxWritesInFlight = max(1, maxWritesInFlight)
    }

    private func mayTryStore(at now: ContinuousClock.Instant) -> Bool {
        switch self.store {
        case .available: return true
        case .unavailable(let retryAt): return now >= retryAt
        }
    }

    /// Where a new batch goes. Spooling never waits for a writer: the spool is a local append.
    func action(forBatchAt now: ContinuousClock.Instant) -> BatchAction {
        if self.spoolPending { return .spool }
        guard self.mayTryStore(at: now) else { return .spool }
        return self.writesInFlight < self.maxWritesInFlight ? .write : .waitForWriter
    }

    /// A batch was handed to a writer (after ``action(forBatchAt:)`` said ``BatchAction/write``).
    mutating func writeStarted() {
        precondition(self.writesInFlight < self.maxWritesInFlight, "more batches in flight than ledger.writers")
        self.writesInFlight += 1
    }

    /// A write started with ``writeStarted()`` ended. Any write's outcome is news about the database: a success
    /// after another write failed means it is back (its batch was spooled, and the spool is replayed now); a
    /// failure after another succeeded means it is down again.
    mutating func writeFinished(_ outcome: WriteOutcome, at now: ContinuousClock.Instant) -> WriteFinishedAction {
        precondition(self.writesInFlight > 0, "a write finished that never started")
        self.writesInFlight -= 1
        switch outcome {
        case .written:
            self.storeSucceeded()
            return .done
        case .failed:
            return .spool(outageStarted: self.storeFailed(at: now))
        }
    }

    /// Whether the writer may return after a shutdown: nothing is being written any more (a write still in flight
    /// may yet fail and need the spool).
    var mayStop: Bool { self.writesInFlight == 0 }

    /// Whether to replay the oldest spooled batch now.
    func shouldReplay(at now: ContinuousClock.Instant) -> Bool {
        self.spoolPending && self.mayTryStore(at: now)
    }

    /// Whether pending gap rows can be written now: after the spool and after the batches in flight, so a gap
    /// never lands before the rows recorded before it.
    func shouldWriteGaps(at now: ContinuousClock.Instant) -> Bool {
        !self.gaps.isEmpty && !self.spoolPending && self.writesInFlight == 0 && self.mayTryStore(at: now)
    }

    /// When there will be maintenance work (replay, gap rows) to do, `nil` when there is none. Gap rows that wait
    /// for batches in flight have none: the writer wakes when a write finishes.
    var maintenanceDeadline: ContinuousClock.Instant? {
        guard self.spoolPending || (!self.gaps.isEmpty && self.writesInFlight == 0) else { return nil }
        switch self.store {
        case .available: return .now
        case .unavailable(let retryAt): return retryAt
        }
    }

    mutating func storeSucceeded() {
        self.store = .available
    }

    /// - Returns: `true` when this failure starts an outage (worth one log line at warning).
    mutating func storeFailed(at now: ContinuousClock.Instant) -> Bool {
        let wasAvailable = self.store == .available
        self.store = .unavailable(retryAt: now + self.retryInterval)
        return wasAvailable
    }

    mutating func spooled() {
        self.spoolPending = true
    }

    mutating func spoolDrained() {
        self.spoolPending = false
    }

    /// Records dropped comparisons; those of one reason merge into one gap until it is written.
    mutating func dropped(count: Int, from: Date, to: Date, reason: String) {
        guard count > 0 else { return }
        if let i = self.gaps.firstIndex(where: { $0.reason == reason && !$0.sealed }) {
            self.gaps[i].from = min(self.gaps[i].from, from)
            self.gaps[i].to = max(self.gaps[i].to, to)
            self.gaps[i].count += count
        } else {
            self.gaps.append(PendingGap(id: UUID(), reason: reason, from: from, to: to, count: count))
        }
    }

    /// The gaps to write now, sealed against further merging.
    mutating func sealGaps() -> [PendingGap] {
        for i in self.gaps.indices { self.gaps[i].sealed = true }
        return self.gaps
    }

    mutating func gapWritten(id: UUID) {
        self.gaps.removeAll { $0.id == id }
    }
}
