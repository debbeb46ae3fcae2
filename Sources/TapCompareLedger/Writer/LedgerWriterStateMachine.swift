import Foundation

/// The writer's decisions, without I/O: whether a batch goes to the database or the spool, when to retry a
/// ledger that is down, when to replay the spool and when gaps can be written, and what of the spool's oldest entry
/// a replay has already stored or counted.
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
        /// How many; 0 when that is unknown (a damaged spool frame), as in ``LedgerGap/count``.
        var count: Int
        /// Set once a write of this row was attempted: a write that timed out may still have committed, so the
        /// row's content must not change under its id; later drops start a new gap.
        var sealed = false

        var countIsUnknown: Bool { self.count == 0 }
    }

    /// How far the replay of one spool entry got: the entry, and how many of its rows are done (stored, or refused
    /// and counted), `nil` for all of them (or for an entry that could not be read, its loss counted). The entries
    /// before it in the spool are done too.
    ///
    /// A replay that stops partway (the ledger failing again in the middle of a batch whose refused rows are being
    /// isolated) resumes after what it stored or counted, so a refused row is counted once however often the
    /// batch is retried. The progress is saved with the gaps (``Pending``) and, after a restart, the spool resumes
    /// at its entry (``LedgerSpool/resume(at:)``): what was counted before is not counted again.
    struct ReplayProgress: Equatable, Codable {
        var position: LedgerSpool.Position
        var rowsDone: Int?
    }

    /// Where the replay of a spool entry starts (``replayStart(at:)``).
    enum ReplayStart: Equatable {
        /// Nothing of it is done yet.
        case fromStart
        /// Its first `rows` rows are stored or counted.
        case after(rows: Int)
        /// All of it is stored or counted (before a restart): move past it, counting nothing.
        case done
    }

    /// What the writer keeps next to the spool (`pending-gaps.json`): the gaps not yet written, the replay's
    /// progress and the spool's marks (segments replayed whole but not yet deleted, segments a failed write cut
    /// short), saved together in one atomic write, so a restart neither counts a drop twice nor loses one, and never
    /// replays a segment again. A file without `spool` (written before it was kept) reads as having no marks.
    struct Pending: Equatable, Codable {
        var gaps: [PendingGap]
        var replay: ReplayProgress?
        /// Filled in by the writer from the spool (``LedgerSpool/marks``); `nil` when there are none.
        var spool: LedgerSpool.Marks?
    }

    private(set) var store: StoreState = .available
    private(set) var spoolPending: Bool
    private(set) var gaps: [PendingGap]
    /// How far the replay of the spool's oldest entry got; `nil` once the spool is drained.
    private(set) var replay: ReplayProgress?
    /// The newest `recorded_at` replayed from the spool since it was last drained: what comes after it in the spool
    /// was recorded later, give or take batches spooled out of order (``lossTimes(segmentModified:margin:)``).
    private(set) var newestReplayed: Date?
    let retryInterval: Duration
    /// `ledger.writers`: the most batches being written at once, each on its own connection.
    let maxWritesInFlight: Int
    /// Batches handed to a writer and not yet finished.
    private(set) var writesInFlight = 0
    /// When to try again to delete spool segments replayed whole whose delete failed; `nil` when none is waiting.
    private(set) var deleteRetryAt: ContinuousClock.Instant?

    init(spoolPending: Bool, gaps: [PendingGap] = [], replay: ReplayProgress? = nil, retryInterval: Duration, maxWritesInFlight: Int = 1) {
        self.spoolPending = spoolPending
        self.gaps = gaps
        self.replay = replay
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
        var deadline: ContinuousClock.Instant?
        if self.spoolPending || (!self.gaps.isEmpty && self.writesInFlight == 0) {
            switch self.store {
            case .available: deadline = .now
            case .unavailable(let retryAt): deadline = retryAt
            }
        }
        if let retry = self.deleteRetryAt { deadline = min(deadline ?? retry, retry) }
        return deadline
    }

    /// Deletes of replayed spool segments failed (the segments are kept, never replayed again): they are tried
    /// again after ``retryInterval``, whether the database is up or not (the delete is local).
    mutating func segmentDeletesFailed(at now: ContinuousClock.Instant) {
        self.deleteRetryAt = now + self.retryInterval
    }

    /// Every replayed spool segment is deleted.
    mutating func segmentsDeleted() {
        self.deleteRetryAt = nil
    }

    /// Whether to try again to delete replayed spool segments now.
    func shouldRetryDeletes(at now: ContinuousClock.Instant) -> Bool {
        self.deleteRetryAt.map { now >= $0 } ?? false
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

    /// The spool is empty: nothing of it is being replayed any more (and its segment numbers start again at 1).
    mutating func spoolDrained() {
        self.spoolPending = false
        self.replay = nil
        self.newestReplayed = nil
    }

    /// Comparisons recorded at `times` came out of the spool (stored, or refused and counted).
    mutating func replayed(recordedAt times: some Sequence<Date>) {
        for time in times where self.newestReplayed.map({ time > $0 }) ?? true { self.newestReplayed = time }
    }

    /// When comparisons that cannot be read (a damaged spool frame) were recorded, as far as the spool tells: after
    /// the newest comparison replayed before them — or, with none, about when their segment was last written — less
    /// `margin`, the longest a comparison waits before its batch is spooled (flush interval and write timeout; a
    /// queue backed up aside), which also covers batches spooled out of order; and before their segment's last write.
    func lossTimes(segmentModified: Date, margin: Duration) -> (from: Date, to: Date) {
        let (seconds, attoseconds) = margin.components
        let after = min(self.newestReplayed ?? segmentModified, segmentModified)
        return (after.addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18)), segmentModified)
    }

    /// What of the spool entry at `position` an earlier replay already stored or counted.
    func replayStart(at position: LedgerSpool.Position) -> ReplayStart {
        guard let replay = self.replay, replay.position == position else { return .fromStart }
        guard let rows = replay.rowsDone else { return .done }
        return .after(rows: rows)
    }

    /// The replay of the entry at `position` stored or counted its first `rowsDone` rows (`nil`: all of it).
    mutating func replayed(at position: LedgerSpool.Position, rowsDone: Int?) {
        self.replay = ReplayProgress(position: position, rowsDone: rowsDone)
    }

    /// What the writer saves next to the spool.
    var pending: Pending { Pending(gaps: self.gaps, replay: self.replay) }

    /// Records dropped comparisons; those of one reason merge into one gap until it is written.
    ///
    /// - Parameter count: How many; `nil` when that is unknown (a damaged spool frame). Such a gap is written with
    ///   count 0 and never merges with a counted one of the same reason: the sum would be unknown too, and the
    ///   part that is known would be lost.
    mutating func dropped(count: Int?, from: Date, to: Date, reason: String) {
        if let count, count <= 0 { return }
        let unknown = count == nil
        if let i = self.gaps.firstIndex(where: { $0.reason == reason && !$0.sealed && $0.countIsUnknown == unknown }) {
            self.gaps[i].from = min(self.gaps[i].from, from)
            self.gaps[i].to = max(self.gaps[i].to, to)
            self.gaps[i].count += count ?? 0
        } else {
            self.gaps.append(PendingGap(id: UUID(), reason: reason, from: from, to: to, count: count ?? 0))
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
