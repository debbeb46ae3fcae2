import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import NIOConcurrencyHelpers
import TapCompareCore

/// Takes comparison records from anywhere, without ever making the caller wait, and gets them into the ledger:
/// batched, one transaction per batch, through an on-disk spool when the database is down, slow or refusing.
///
/// ```
/// record(_:) ──► bounded queue ──► batch (size or flush interval) ──► store.insert ── ok ──► done
///                  │ full: drop,       (up to ledger.writers at once)    │ failed / timed out
///                  │ counted, gap                                        ▼
///                  ▼                                              spool (fsync) ── full: drop, counted, gap
///            tapcompare_ledger_dropped_total{reason}                     │ store back
///                                                                        ▼
///                                                               replay in order, exactly once
/// ```
///
/// Up to `ledger.writers` batches are written at once, each by a child task on its own pooled connection, so the
/// next batch is encoded and sent while earlier ones wait on the database; a full set of writers leaves records
/// in the bounded queue. One loop owns the decisions (``LedgerWriterStateMachine``), the spool and the gap rows:
/// write tasks only report back how their batch ended. In memory at most: the queue, one batch per writer, and
/// one batch encoded ahead.
///
/// Run it as a `Service` after its ``LedgerStore`` in the same `ServiceGroup`: on graceful shutdown it stops
/// accepting records, writes (or spools) everything queued, and returns; leftovers in the spool are replayed by
/// the next start. Spool files left by a process that was killed are replayed the same way.
public final class LedgerWriter: Service, ComparisonRecordSink {
    public let configuration: LedgerConfiguration
    public let store: any LedgerStore
    public let metrics: LedgerMetrics
    let spool: LedgerSpool
    let encoder: LedgerRecordEncoder
    private let queue: BoundedQueue<ComparisonRecord>
    private let logger: Logger
    /// Drops seen by `record(_:)` (queue full, shut down), merged into gap rows by the batch task.
    private let callerDrops = NIOLockedValueBox<[String: (from: Date, to: Date, count: Int)]>([:])
    private let gapFile: String
    /// Whether this writer has run (or confirmed) the migrations; until then every write first migrates, so a
    /// ledger that was down at start-up gets its schema when it comes back.
    private let migrated = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - bodyDecoder: Undoes `Content-Encoding` so `redact.json_paths` apply to compressed samples (the
    ///     comparison's `BodyDecoder`). Default none: with JSON paths configured, encoded samples are withheld.
    /// - Throws: ``LedgerError`` for an invalid configuration, a bad `redact.json_paths` entry, or a spool
    ///   directory that cannot be created or is in use by another process.
    public init(
        configuration: LedgerConfiguration, store: any LedgerStore, logger: Logger, metrics: LedgerMetrics = LedgerMetrics(),
        bodyDecoder: (any ContentDecoding)? = nil
    ) throws(LedgerError) {
        try configuration.validate()
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.encoder = LedgerRecordEncoder(
            redactor: try Redactor(configuration: configuration.redaction, decoder: bodyDecoder),
            instance: configuration.instance,
            maxSampleBytes: configuration.maxSampleBytes,
            metrics: metrics
        )
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
        self.spool = try LedgerSpool(directory: configuration.spoolDirectory, maxBytes: configuration.spoolMaxBytes)
        self.gapFile = configuration.spoolDirectory + "/pending-gaps.json"
    }

    // MARK: ComparisonRecordSink

    /// Queues a record for the ledger. Returns at once; never blocks, never allocates beyond the queue's slot.
    /// When the queue is full (or the writer has stopped) the record is dropped, counted and recorded as a gap.
    public func record(_ record: ComparisonRecord) {
        switch self.queue.push(record) {
        case .queued(let depth):
            self.metrics.queueDepth(depth)
        case .dropped(.full):
            self.callerDropped(record, reason: .queueFull)
        case .dropped(.finished):
            self.callerDropped(record, reason: .shuttingDown)
        }
    }

    private func callerDropped(_ record: ComparisonRecord, reason: LedgerMetrics.DropReason) {
        self.metrics.dropped(1, reason: reason)
        let first = self.callerDrops.withLockedValue { drops -> Bool in
            if let current = drops[reason.rawValue] {
                drops[reason.rawValue] = (min(current.from, record.recordedAt), max(current.to, record.recordedAt), current.count + 1)
                return false
            }
            drops[reason.rawValue] = (record.recordedAt, record.recordedAt, 1)
            return true
        }
        if first {
            self.logger.warning("ledger dropping comparisons", metadata: ["ledger.reason": "\(reason.rawValue)"])
        }
    }

    /// Records waiting in the queue (for back-pressure in benchmarks and for status output).
    public var queueDepth: Int { self.queue.count }

    // MARK: Service

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.runBatches()
        } onGracefulShutdown: {
            self.queue.finish()
        }
    }

    /// Stops accepting records; ``run()`` writes what is queued and returns. For use outside a `ServiceGroup`.
    public func shutdown() {
        self.queue.finish()
    }

    private func runBatches() async throws {
        let writers = min(self.configuration.writers, self.store.maxConcurrentInserts)
        var machine = LedgerWriterStateMachine(
            spoolPending: !self.spool.isEmpty, gaps: self.loadPendingGaps(), retryInterval: self.configuration.retryInterval,
            maxWritesInFlight: writers
        )
        if machine.spoolPending {
            self.logger.info("ledger replaying spool left by a previous run", metadata: [
                "ledger.spool_dir": "\(self.configuration.spoolDirectory)", "ledger.spool_bytes": "\(self.spool.bytesOnDisk)",
            ])
        }
        self.metrics.spoolBytes(self.spool.bytesOnDisk)
        // Migrations at start-up, so the schema exists (for reports and the UI) before the first comparison. A
        // ledger that is down now is not fatal: records spool, and the first write that succeeds migrates first.
        do {
            try await self.insertWithTimeout([])
        } catch let error as LedgerError where error.isSchemaTooNew {
            // Not an outage that passes: an older tapcompare deployed against a newer ledger. Spooling would only
            // fill the disk with rows this build cannot write there; stop here, so `serve` exits naming the fix.
            self.logger.error("ledger schema is newer than this tapcompare", metadata: ["ledger.error": "\(error)"])
            self.queue.finish()
            throw error
        } catch {
            _ = machine.storeFailed(at: .now)
            self.logger.warning("ledger unavailable at start-up; comparisons will be spooled until it is back", metadata: [
                "ledger.url": "\(self.store.url)", "ledger.error": "\(Self.describe(error))",
            ])
        }
        // Each write task reports here when its batch is done. At most `writers` are in flight and the loop takes
        // every report before it starts another write, so the queue never refuses one.
        let finished = BoundedQueue<LedgerBatchWrite>(capacity: writers)
        // The write tasks are children of this group: the writer returns only after the last of them finished.
        await withDiscardingTaskGroup { writes in
            // A full batch taken from the queue and encoded while every writer was busy (`encodeAhead`); it goes
            // next, before anything else (so batches keep their order, and a shutdown writes or spools it like any
            // queued record).
            var encodedAhead: [LedgerComparison]?
            while true {
                // Cancelled (not a graceful shutdown): stop taking records and drain like a shutdown, rather than
                // spinning on waits that return at once.
                if Task.isCancelled { self.queue.finish() }
                // Finished writes first: they free writers, and tell whether the ledger is up.
                for write in finished.take(max: writers) {
                    await self.finish(write, machine: &machine)
                }
                self.mergeCallerDrops(into: &machine)
                let now = ContinuousClock.now
                let depth = self.queue.count
                let closed = self.queue.isFinished
                let flushDue = self.queue.oldestEnqueuedAt.map { $0 + self.configuration.flushInterval <= now } ?? false
                if encodedAhead != nil || depth >= self.configuration.batchSize || (depth > 0 && (flushDue || closed)) {
                    switch machine.action(forBatchAt: now) {
                    case .write:
                        let rows = encodedAhead ?? self.takeBatch()
                        encodedAhead = nil
                        machine.writeStarted()
                        writes.addTask {
                            // A batch straight from the queue: its comparisons were never written before.
                            _ = finished.push(await self.write(rows, mayBeStored: false))
                        }
                    case .spool:
                        let rows = encodedAhead ?? self.takeBatch()
                        encodedAhead = nil
                        await self.spoolOrDrop(rows, machine: &machine)
                    case .waitForWriter:
                        // With `encodeAhead`, the redaction and sample capping of the next batch overlap the writes.
                        if self.configuration.encodeAhead && encodedAhead == nil && depth >= self.configuration.batchSize {
                            encodedAhead = self.takeBatch()
                        } else {
                            await Self.waitForAWrite(finished)
                        }
                    }
                    continue
                }
                if machine.shouldReplay(at: now) {
                    await self.replayOne(machine: &machine)
                    if closed && machine.spoolPending && machine.shouldReplay(at: .now) { continue }
                    if !closed { continue }
                }
                if machine.shouldWriteGaps(at: now) {
                    await self.writeGaps(machine: &machine)
                    continue
                }
                if closed && machine.mayStop {
                    if !machine.gaps.isEmpty { self.savePendingGaps(machine.gaps) }
                    if machine.spoolPending {
                        self.logger.info("ledger stopped with batches left in the spool; the next start replays them", metadata: [
                            "ledger.spool_bytes": "\(self.spool.bytesOnDisk)",
                        ])
                    }
                    return
                }
                // Nothing to do now: sleep until a batch fills, the oldest record's flush deadline, maintenance, or
                // a write finishing.
                var deadline = self.queue.oldestEnqueuedAt.map { $0 + self.configuration.flushInterval }
                if let maintenance = machine.maintenanceDeadline {
                    deadline = deadline.map { min($0, maintenance) } ?? maintenance
                }
                await self.waitForWork(
                    threshold: closed ? nil : (depth == 0 ? 1 : self.configuration.batchSize), deadline: deadline,
                    finished: machine.writesInFlight > 0 ? finished : nil
                )
            }
        }
    }

    /// Sleeps until the queue holds `threshold` records (`nil`: the queue is finished, nothing more comes), the
    /// deadline, or a write finishing (when `finished` is given).
    private func waitForWork(threshold: Int?, deadline: ContinuousClock.Instant?, finished: BoundedQueue<LedgerBatchWrite>?) async {
        if Task.isCancelled {
            // The queue is finished and sleeps return at once: only the writes in flight are worth waiting for.
            if let finished { await Self.waitForAWrite(finished) }
            return
        }
        await withTaskGroup(of: Void.self) { group in
            if let threshold {
                group.addTask { await self.queue.wait(forAtLeast: threshold) }
            }
            if let finished {
                group.addTask { await finished.wait(forAtLeast: 1) }
            }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits until a write finishes, also once the writer's task is cancelled: its writes are cancelled with it
    /// and finish soon (spooling what they held), and a wait that returned at once would spin until they do.
    private static func waitForAWrite(_ finished: BoundedQueue<LedgerBatchWrite>) async {
        if Task.isCancelled {
            // An unstructured task does not inherit the cancellation; awaiting its value waits it out.
            await Task { await finished.wait(forAtLeast: 1) }.value
        } else {
            await finished.wait(forAtLeast: 1)
        }
    }

    // MARK: Batches

    /// The next batch: up to `ledger.batch_size` records off the queue, redacted and capped.
    private func takeBatch() -> [LedgerComparison] {
        let records = self.queue.take(max: self.configuration.batchSize)
        self.metrics.queueDepth(self.queue.count)
        return records.map(self.encoder.encode)
    }

    /// Writes rows in one transaction. Rows the database refuses are isolated (written one by one) and dropped,
    /// counted. Runs in a write task, several at once: it counts in the metrics (locked) and leaves the state
    /// machine, the spool and the gaps to the loop, which ``finish(_:machine:)`` the result.
    ///
    /// - Parameter mayBeStored: ``LedgerStore/insert(_:mayBeStored:)``'s hint: `false` for a batch straight from
    ///   the queue.
    private func write(_ rows: [LedgerComparison], mayBeStored: Bool) async -> LedgerBatchWrite {
        let start = ContinuousClock.now
        do {
            try await self.insertWithTimeout(rows, mayBeStored: mayBeStored)
            self.metrics.written(rows.count, duration: .now - start)
            return LedgerBatchWrite()
        } catch let error as LedgerError where error.isRejected && rows.count > 1 {
            // One bad row must not take the others down: write them one by one. With the look-up: the refusal may
            // have been another transaction's copy of the same ids committing first.
            var result = LedgerBatchWrite()
            for (i, row) in rows.enumerated() {
                let one = await self.write([row], mayBeStored: true)
                result.refused += one.refused
                if !one.unwritten.isEmpty {
                    result.unwritten = Array(rows[i...])
                    result.failure = one.failure
                    break
                }
            }
            return result
        } catch let error as LedgerError where error.isRejected {
            self.logger.error("ledger refused a comparison; dropped", metadata: [
                "ledger.comparison_id": "\(rows[0].id)", "ledger.error": "\(error.message)",
            ])
            self.metrics.dropped(1, reason: .rejected)
            return LedgerBatchWrite(refused: rows)
        } catch {
            self.metrics.failedBatch()
            return LedgerBatchWrite(unwritten: rows, failure: Self.describe(error))
        }
    }

    /// Takes a finished write into the state machine: refused rows become a gap, and rows the ledger did not take
    /// go to the spool.
    private func finish(_ write: LedgerBatchWrite, machine: inout LedgerWriterStateMachine) async {
        self.recordRefused(write.refused, machine: &machine)
        switch machine.writeFinished(write.outcome, at: .now) {
        case .done:
            break
        case .spool(let outageStarted):
            if outageStarted {
                self.logger.warning("ledger unavailable; spooling to disk", metadata: [
                    "ledger.url": "\(self.store.url)", "ledger.error": "\(write.failure ?? "unknown")",
                    "ledger.spool_dir": "\(self.configuration.spoolDirectory)",
                ])
            }
            await self.spoolOrDrop(write.unwritten, machine: &machine)
        }
    }

    /// Refused rows were counted by the write; here they join the `rejected` gap.
    private func recordRefused(_ rows: [LedgerComparison], machine: inout LedgerWriterStateMachine) {
        for row in rows {
            machine.dropped(count: 1, from: row.recordedAt, to: row.recordedAt, reason: LedgerMetrics.DropReason.rejected.rawValue)
        }
    }

    /// Inserts a batch, giving up after `ledger.write_timeout`.
    ///
    /// The insert runs in its own task and is abandoned (cancelled, not awaited) on timeout: a database call stuck
    /// in a driver that ignores cancellation must not stop the writer from spooling. If the abandoned insert
    /// commits after all, the spooled copy replays as a no-op (inserts are idempotent by comparison id).
    private func insertWithTimeout(_ rows: [LedgerComparison], mayBeStored: Bool = true) async throws {
        try await self.withStore { try await $0.insert(rows, mayBeStored: mayBeStored) }
    }

    /// Runs one write against the store, migrating it first if no write has yet (a ledger that was down at
    /// start-up has no tables: a gap row may be the first thing it receives), giving up after
    /// `ledger.write_timeout` as ``insertWithTimeout(_:)`` does.
    private func withStore(_ write: @escaping @Sendable (any LedgerStore) async throws -> Void) async throws {
        let store = self.store
        let timeout = self.configuration.writeTimeout
        let needsMigration = !self.migrated.withLockedValue { $0 }
        let outcome = TimeoutRace<Void>()
        // Unstructured on purpose: a task group would wait for a stuck child before returning.
        let operation = Task {
            do {
                if needsMigration {
                    _ = try await store.migrate()
                }
                try await write(store)
                outcome.finish(.success(()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            if outcome.finish(.failure(LedgerError.storeUnavailable(
                "ledger \(store.url) did not finish a batch within \(DurationParser.format(timeout))"
            ))) {
                operation.cancel()
            }
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                outcome.arm(continuation)
            }
        } onCancel: {
            operation.cancel()
        }
        if needsMigration { self.migrated.withLockedValue { $0 = true } }
    }

    private func spoolOrDrop(_ rows: [LedgerComparison], machine: inout LedgerWriterStateMachine) async {
        let spool = self.spool
        let result: Result<Bool, LedgerError>
        do {
            let payload = try LedgerSpoolCodec.encode(rows)
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<Bool, LedgerError> in
                do { return .success(try spool.append(payload)) } catch let error as LedgerError { return .failure(error) }
            }
        } catch {
            result = .failure(LedgerError.spool("cannot spool a batch", underlying: error))
        }
        self.metrics.spoolBytes(spool.bytesOnDisk)
        switch result {
        case .success(true):
            self.metrics.spooled(rows.count)
            machine.spooled()
        case .success(false):
            self.drop(rows, reason: .spoolFull, machine: &machine)
        case .failure(let error):
            self.logger.error("ledger spool failed", metadata: ["ledger.error": "\(error.debugDescription)"])
            self.drop(rows, reason: .spoolError, machine: &machine)
        }
    }

    private func drop(_ rows: [LedgerComparison], reason: LedgerMetrics.DropReason, machine: inout LedgerWriterStateMachine) {
        guard let first = rows.first else { return }
        let from = rows.reduce(first.recordedAt) { min($0, $1.recordedAt) }
        let to = rows.reduce(first.recordedAt) { max($0, $1.recordedAt) }
        let isNewGap = !machine.gaps.contains { $0.reason == reason.rawValue && !$0.sealed }
        self.metrics.dropped(rows.count, reason: reason)
        machine.dropped(count: rows.count, from: from, to: to, reason: reason.rawValue)
        self.savePendingGaps(machine.gaps)
        if isNewGap {
            self.logger.error("ledger dropping comparisons; a gap row will be written when the ledger is back", metadata: [
                "ledger.reason": "\(reason.rawValue)", "ledger.count": "\(rows.count)",
                "ledger.spool_max_bytes": "\(self.configuration.spoolMaxBytes)",
            ])
        }
    }

    // MARK: Replay and gaps

    private func replayOne(machine: inout LedgerWriterStateMachine) async {
        let spool = self.spool
        let entry: LedgerSpool.Entry?
        do {
            entry = try await NIOThreadPool.singleton.runIfActive { () -> Result<LedgerSpool.Entry?, LedgerError> in
                do { return .success(try spool.peek()) } catch let error as LedgerError { return .failure(error) }
            }.get()
        } catch {
            self.logger.error("ledger cannot read its spool", metadata: ["ledger.error": "\(Self.describe(error))"])
            _ = machine.storeFailed(at: .now)
            return
        }
        guard let entry else {
            machine.spoolDrained()
            self.metrics.spoolBytes(spool.bytesOnDisk)
            self.logger.info("ledger spool replayed")
            return
        }
        guard let rows = try? LedgerSpoolCodec.decode(entry.payload) else {
            // A frame whose CRC matched but whose content does not decode: written by an incompatible version.
            self.logger.error("ledger spool frame cannot be decoded; skipped", metadata: ["ledger.bytes": "\(entry.payload.count)"])
            spool.commit(entry)
            return
        }
        // Replayed with the look-up: the batch's first write may have committed after it timed out.
        let write = await self.write(rows, mayBeStored: true)
        self.recordRefused(write.refused, machine: &machine)
        self.metrics.replayed(rows.count - write.unwritten.count)
        guard write.unwritten.isEmpty else {
            // The frame stays in the spool and is replayed whole later; what was stored of it is not stored again.
            _ = machine.storeFailed(at: .now)
            return
        }
        machine.storeSucceeded()
        _ = try? await NIOThreadPool.singleton.runIfActive { spool.commit(entry) }
        self.metrics.spoolBytes(spool.bytesOnDisk)
        if spool.isEmpty {
            machine.spoolDrained()
            self.logger.info("ledger spool replayed; writing directly again")
        }
    }

    private func writeGaps(machine: inout LedgerWriterStateMachine) async {
        for gap in machine.sealGaps() {
            let row = LedgerGap(id: gap.id, instance: self.configuration.instance, from: gap.from, to: gap.to, count: gap.count, reason: gap.reason)
            do {
                try await self.withStore { try await $0.insertGap(row) }
                machine.storeSucceeded()
                machine.gapWritten(id: gap.id)
                self.metrics.gapWritten()
                self.logger.warning("ledger gap recorded", metadata: [
                    "ledger.reason": "\(gap.reason)", "ledger.count": "\(gap.count)",
                ])
            } catch {
                _ = machine.storeFailed(at: .now)
                break
            }
        }
        self.savePendingGaps(machine.gaps)
    }

    private func mergeCallerDrops(into machine: inout LedgerWriterStateMachine) {
        let drops = self.callerDrops.withLockedValue { drops in
            defer { drops = [:] }
            return drops
        }
        guard !drops.isEmpty else { return }
        for (reason, drop) in drops {
            machine.dropped(count: drop.count, from: drop.from, to: drop.to, reason: reason)
        }
        self.savePendingGaps(machine.gaps)
    }

    /// Pending gaps live next to the spool, so a gap survives a restart (or SIGKILL) before it is written.
    private func savePendingGaps(_ gaps: [LedgerWriterStateMachine.PendingGap]) {
        if gaps.isEmpty {
            try? FileManager.default.removeItem(atPath: self.gapFile)
            return
        }
        guard let data = try? JSONEncoder().encode(gaps) else { return }
        try? data.write(to: URL(fileURLWithPath: self.gapFile), options: .atomic)
    }

    private func loadPendingGaps() -> [LedgerWriterStateMachine.PendingGap] {
        guard let data = FileManager.default.contents(atPath: self.gapFile),
              let gaps = try? JSONDecoder().decode([LedgerWriterStateMachine.PendingGap].self, from: data)
        else { return [] }
        return gaps.map { var g = $0; g.sealed = true; return g }
    }

    static func describe(_ error: any Error) -> String {
        if let ledger = error as? LedgerError { return ledger.message }
        return String(describing: error)
    }
}
