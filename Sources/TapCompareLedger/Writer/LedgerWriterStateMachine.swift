import Foundation

/// The writer's decisions, without I/O: whether a batch goes to the database or the spool, when to retry a
/// ledger that is down, when to replay the spool and when gaps can be written.
///
/// Order is the invariant: while anything is spooled, new batches are spooled behind it, so the ledger receives
/// batches in the order they were recorded; a batch goes straight to the database only when the spool is empty.
struct LedgerWriterStateMachine {
    enum StoreState: Equatable {
        case available
        /// The last write failed; nothing is tried before `retryAt`.
        case unavailable(retryAt: ContinuousClock.Instant)
    }

    enum BatchAction: Equatable {
        case write
        case spool
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

    init(spoolPending: Bool, gaps: [PendingGap] = [], retryInterval: Duration) {
        self.spoolPending = spoolPending
        self.gaps = gaps
        self.retryInterval = retryInterval
    }

    private func mayTryStore(at now: ContinuousClock.Instant) -> Bool {
        switch self.store {
        case .available: return true
        case .unavailable(let retryAt): return now >= retryAt
        }
    }

    /// Where a new batch goes.
    func action(forBatchAt now: ContinuousClock.Instant) -> BatchAction {
        if self.spoolPending { return .spool }
        return self.mayTryStore(at: now) ? .write : .spool
    }

    /// Whether to replay the oldest spooled batch now.
    func shouldReplay(at now: ContinuousClock.Instant) -> Bool {
        self.spoolPending && self.mayTryStore(at: now)
    }

    /// Whether pending gap rows can be written now: after the spool, so a gap never lands before the rows
    /// recorded before it.
    func shouldWriteGaps(at now: ContinuousClock.Instant) -> Bool {
        !self.gaps.isEmpty && !self.spoolPending && self.mayTryStore(at: now)
    }

    /// When there will be maintenance work (replay, gap rows) to do, `nil` when there is none.
    var maintenanceDeadline: ContinuousClock.Instant? {
        guard self.spoolPending || !self.gaps.isEmpty else { return nil }
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
