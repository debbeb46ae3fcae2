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
    public convenience init(
        configuration: LedgerConfiguration, store: any LedgerStore, logger: Logger, metrics: LedgerMetrics = LedgerMetrics(),
        bodyDecoder: (any ContentDecoding)? = nil
    ) throws(LedgerError) {
        try self.init(configuration: configuration, store: store, logger: logger, metrics: metrics, bodyDecoder: bodyDecoder, spoolCalls: .system)
    }

    /// - Parameter spoolCalls: The system calls that write the spool (tests pass ones that fail as disks do).
    init(
        configuration: LedgerConfiguration, store: any LedgerStore, logger: Logger, metrics: LedgerMetrics,
        bodyDecoder: (any ContentDecoding)?, spoolCalls: SpoolFileCalls
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
        self.spool = try LedgerSpool(
            directory: configuration.spoolDirectory, maxBytes: configuration.spoolMaxBytes, metrics: metrics, calls: spoolCalls
        )
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
        let pending = await self.loadPending()
        var machine = LedgerWriterStateMachine(
            spoolPending: !self.spool.isEmpty, gaps: pending.gaps, replay: pending.replay, retryInterval: self.configuration.retryInterval,
            maxWritesInFlight: writers
        )
        // Segments a previous run replayed whole but could not delete (or was stopped before deleting): deleted now,
        // never replayed again.
        if self.spool.hasUndeletedSegments {
            await self.retryDeletes(machine: &machine)
        }
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
                if machine.shouldRetryDeletes(at: now) {
                    await self.retryDeletes(machine: &machine)
                    continue
                }
                if closed && machine.mayStop {
                    self.savePending(machine)
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

    /// Refused rows were counted by the write; here they join the `rejected` gap, saved at once (with the replay's
    /// progress, when they came from the spool) so a restart neither loses nor repeats them.
    private func recordRefused(_ rows: [LedgerComparison], machine: inout LedgerWriterStateMachine) {
        guard !rows.isEmpty else { return }
        for row in rows {
            machine.dropped(count: 1, from: row.recordedAt, to: row.recordedAt, reason: LedgerMetrics.DropReason.rejected.rawValue)
        }
        self.savePending(machine)
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
        let result: Result<LedgerSpool.Appended, LedgerError>
        do {
            let payload = try LedgerSpoolCodec.encode(rows)
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<LedgerSpool.Appended, LedgerError> in
                do { return .success(try spool.append(payload)) } catch let error as LedgerError { return .failure(error) }
            }
        } catch {
            result = .failure(LedgerError.spool("cannot spool a batch", underlying: error))
        }
        self.metrics.spoolBytes(spool.bytesOnDisk)
        switch result {
        case .success(.durable):
            self.metrics.spooled(rows.count)
            machine.spooled()
        case .success(.notSynced(let reason)):
            // Spooled, not dropped: the frame is whole in the spool and replays like any other (counted in
            // `tapcompare_ledger_spool_errors_total{reason="fsync"}`). Were it dropped, its gap would be false once
            // the replay stored it; should a crash lose it first, the replay finds it damaged and counts it then.
            self.logger.error("ledger spool fsync failed; the batch stays in the spool but may not survive a crash", metadata: [
                "ledger.error": "\(reason)", "ledger.spool_dir": "\(self.configuration.spoolDirectory)", "ledger.count": "\(rows.count)",
            ])
            self.metrics.spooled(rows.count)
            machine.spooled()
        case .success(.full):
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
        self.savePending(machine)
        if isNewGap {
            self.logger.error("ledger dropping comparisons; a gap row will be written when the ledger is back", metadata: [
                "ledger.reason": "\(reason.rawValue)", "ledger.count": "\(rows.count)",
                "ledger.spool_max_bytes": "\(self.configuration.spoolMaxBytes)",
            ])
        }
    }

    // MARK: Replay and gaps

    /// Replays the spool's oldest entry: its batch goes to the ledger; a frame that cannot be read is counted and
    /// recorded as a gap. What an earlier attempt (of this process, or of one that stopped or was killed) already
    /// stored or counted of the entry is skipped (``LedgerWriterStateMachine/ReplayProgress``), so each comparison
    /// is stored, or counted in one gap, exactly once.
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
        self.logDeleteFailures(spool.takeDeleteFailures(), machine: &machine)
        guard let entry else {
            machine.spoolDrained()
            self.savePending(machine)
            self.metrics.spoolBytes(spool.bytesOnDisk)
            self.logger.info("ledger spool replayed")
            return
        }
        let start = machine.replayStart(at: entry.position)
        guard start != .done else {
            // Stored or counted before a restart: its position was saved with the gaps.
            await self.commit(entry, machine: &machine)
            return
        }
        let rows: [LedgerComparison]
        switch entry.content {
        case .damaged(let bytes):
            let times = machine.lossTimes(segmentModified: spool.segmentModified(of: entry.position), margin: self.spoolingDelay)
            self.spoolLost(entry, .corrupt, count: nil, from: times.from, to: times.to, machine: &machine)
            self.logger.error("ledger spool is damaged; the comparisons in the damaged part are lost, a gap row will be written", metadata: [
                "ledger.bytes": "\(bytes)", "ledger.spool_dir": "\(self.configuration.spoolDirectory)",
            ])
            await self.commit(entry, machine: &machine)
            return
        case .batch(let payload):
            do {
                rows = try LedgerSpoolCodec.decode(payload)
            } catch {
                // Whole by its checksum, but not a batch this version reads: written by an incompatible version.
                let summary = LedgerSpoolCodec.summary(of: payload)
                let times = machine.lossTimes(segmentModified: spool.segmentModified(of: entry.position), margin: self.spoolingDelay)
                if let count = summary?.count { self.metrics.dropped(count, reason: .spoolUndecodable) }
                self.spoolLost(
                    entry, .undecodable, count: summary?.count, from: summary?.from ?? times.from, to: summary?.to ?? times.to,
                    machine: &machine
                )
                self.logger.error("ledger spool frame cannot be decoded; its comparisons are lost, a gap row will be written", metadata: [
                    "ledger.bytes": "\(payload.count)", "ledger.count": "\(summary.map { "\($0.count)" } ?? "unknown")",
                    "ledger.error": "\(error)",
                ])
                await self.commit(entry, machine: &machine)
                return
            }
        }
        let done: Int
        switch start {
        case .fromStart, .done: done = 0
        case .after(let rows): done = rows
        }
        let rest = Array(rows.dropFirst(done))
        // Replayed with the look-up: the batch's first write may have committed after it timed out.
        let write = rest.isEmpty ? LedgerBatchWrite() : await self.write(rest, mayBeStored: true)
        // Stored or refused (and counted): what a later attempt must not write or count again.
        let settled = rest.count - write.unwritten.count
        self.metrics.replayed(settled - write.refused.count)
        machine.replayed(recordedAt: rest.prefix(settled).lazy.map(\.recordedAt))
        if settled > 0 || write.unwritten.isEmpty {
            machine.replayed(at: entry.position, rowsDone: write.unwritten.isEmpty ? nil : done + settled)
        }
        self.recordRefused(write.refused, machine: &machine)
        guard write.unwritten.isEmpty else {
            // The entry stays in the spool and is replayed later from where this attempt stopped.
            _ = machine.storeFailed(at: .now)
            return
        }
        machine.storeSucceeded()
        await self.commit(entry, machine: &machine)
    }

    /// Counts a spool entry that cannot be replayed and records its gap, saved with the replay's progress past it
    /// before the spool moves on, so the loss is recorded once even if the process stops right after.
    private func spoolLost(
        _ entry: LedgerSpool.Entry, _ reason: LedgerMetrics.SpoolLoss, count: Int?, from: Date, to: Date,
        machine: inout LedgerWriterStateMachine
    ) {
        self.metrics.spoolFrameLost(reason)
        machine.dropped(count: count, from: min(from, to), to: max(from, to), reason: reason.gapReason)
        machine.replayed(at: entry.position, rowsDone: nil)
        self.savePending(machine)
    }

    /// How long a comparison can wait between being recorded and its batch being spooled (the queue backed up
    /// aside): the margin of a loss whose comparisons' own times cannot be read.
    private var spoolingDelay: Duration { self.configuration.flushInterval + self.configuration.writeTimeout }

    /// Moves the spool past an entry that is all stored or counted. When that finishes its segment, the segment is
    /// first marked replayed in the pending file, then deleted: should the delete fail, or the process stop before
    /// it, the next start deletes it instead of replaying it (and counting its losses) again.
    private func commit(_ entry: LedgerSpool.Entry, machine: inout LedgerWriterStateMachine) async {
        let spool = self.spool
        let finishing = try? await NIOThreadPool.singleton.runIfActive { spool.finishing(entry) }
        if let finishing { self.savePending(machine, finishing: finishing) }
        if let failure = try? await NIOThreadPool.singleton.runIfActive({ spool.commit(entry) }) {
            self.logDeleteFailures([failure], machine: &machine)
        }
        self.metrics.spoolBytes(spool.bytesOnDisk)
        if spool.isEmpty {
            machine.spoolDrained()
            self.savePending(machine)
            self.logger.info("ledger spool replayed; writing directly again")
        } else if finishing != nil {
            // The mark of a segment that is gone now goes too (one that could not be deleted stays).
            self.savePending(machine)
        }
    }

    /// Tries again to delete the spool segments replayed whole whose delete failed.
    private func retryDeletes(machine: inout LedgerWriterStateMachine) async {
        let spool = self.spool
        let failures = (try? await NIOThreadPool.singleton.runIfActive { spool.retryDeletes() }) ?? []
        self.metrics.spoolBytes(spool.bytesOnDisk)
        if failures.isEmpty {
            machine.segmentsDeleted()
            self.logger.info("ledger deleted the replayed spool segments it could not delete before")
        } else {
            self.logDeleteFailures(failures, machine: &machine)
        }
        self.savePending(machine)
    }

    /// Replayed segments that could not be deleted (counted by the spool, `spool_errors_total{reason="unlink"}`):
    /// logged with their path, and tried again after `ledger.retry_interval`.
    private func logDeleteFailures(_ failures: [LedgerSpool.DeleteFailure], machine: inout LedgerWriterStateMachine) {
        guard !failures.isEmpty else { return }
        for failure in failures {
            self.logger.error("ledger cannot delete a replayed spool segment; it is kept but not replayed again, and deleted at the next retry or start", metadata: [
                "ledger.file": "\(failure.path)", "ledger.error": "\(failure.reason)",
                "ledger.retry_interval": "\(DurationParser.format(self.configuration.retryInterval))",
            ])
        }
        machine.segmentDeletesFailed(at: .now)
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
                    "ledger.reason": "\(gap.reason)", "ledger.count": "\(gap.countIsUnknown ? "unknown" : "\(gap.count)")",
                ])
            } catch {
                _ = machine.storeFailed(at: .now)
                break
            }
        }
        self.savePending(machine)
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
        self.savePending(machine)
    }

    /// Pending gaps live next to the spool, so a gap survives a restart (or SIGKILL) before it is written; with them,
    /// in the same atomic write, the replay's progress, so the drops it counted are neither lost nor counted again,
    /// and the spool's marks (``LedgerSpool/Marks``), so a segment replayed whole is never replayed again and a
    /// failed write's leftover is not counted again as damage.
    /// - Parameter finishing: A segment about to be deleted, saved as replayed before the delete is tried.
    private func savePending(_ machine: LedgerWriterStateMachine, finishing: LedgerSpool.FinishedSegment? = nil) {
        var pending = machine.pending
        var marks = self.spool.marks
        if let finishing, !marks.finished.contains(finishing) { marks.finished.append(finishing) }
        pending.spool = marks.isEmpty ? nil : marks
        if pending.gaps.isEmpty && pending.replay == nil && pending.spool == nil {
            try? FileManager.default.removeItem(atPath: self.gapFile)
            return
        }
        do {
            try JSONEncoder().encode(pending).write(to: URL(fileURLWithPath: self.gapFile), options: .atomic)
        } catch {
            self.logger.error("ledger cannot save its pending gaps; they are kept in memory until written", metadata: [
                "ledger.file": "\(self.gapFile)", "ledger.error": "\(error)",
            ])
        }
    }

    /// What a previous run left: its gaps (sealed: a write of them may have been attempted), the spool's marks (given
    /// back to it: segments replayed whole are set aside, cut-short ones read up to where they stopped) and, when the
    /// spool still holds the entry it names, the replay's progress (the spool resumes there). A file from before the
    /// progress was kept holds the bare array of gaps; one from before the marks has no `spool`.
    private func loadPending() async -> LedgerWriterStateMachine.Pending {
        guard let data = FileManager.default.contents(atPath: self.gapFile) else { return .init(gaps: []) }
        let decoder = JSONDecoder()
        var pending: LedgerWriterStateMachine.Pending
        if let saved = try? decoder.decode(LedgerWriterStateMachine.Pending.self, from: data) {
            pending = saved
        } else if let gaps = try? decoder.decode([LedgerWriterStateMachine.PendingGap].self, from: data) {
            pending = .init(gaps: gaps)
        } else {
            self.logger.error("ledger cannot read its pending gaps; the gaps it held are not recorded", metadata: ["ledger.file": "\(self.gapFile)"])
            return .init(gaps: [])
        }
        pending.gaps = pending.gaps.map { var g = $0; g.sealed = true; return g }
        let spool = self.spool
        if let marks = pending.spool {
            _ = try? await NIOThreadPool.singleton.runIfActive { spool.restore(marks) }
        }
        if let replay = pending.replay {
            let resumed = try? await NIOThreadPool.singleton.runIfActive { () -> Bool in
                (try? spool.resume(at: replay.position)) ?? false
            }
            // Otherwise that entry is gone (its segment replayed and deleted before the file was saved again).
            if resumed != true { pending.replay = nil }
        }
        return pending
    }

    static func describe(_ error: any Error) -> String {
        if let ledger = error as? LedgerError { return ledger.message }
        return String(describing: error)
    }
}
