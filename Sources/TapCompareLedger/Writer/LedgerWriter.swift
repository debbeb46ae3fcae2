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
///                  │ full: drop,                                         │ failed / timed out
///                  │ counted, gap                                        ▼
///                  ▼                                              spool (fsync) ── full: drop, counted, gap
///            tapcompare_ledger_dropped_total{reason}                     │ store back
///                                                                        ▼
///                                                               replay in order, exactly once
/// ```
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
        var machine = LedgerWriterStateMachine(
            spoolPending: !self.spool.isEmpty, gaps: self.loadPendingGaps(), retryInterval: self.configuration.retryInterval
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
        } catch {
            _ = machine.storeFailed(at: .now)
            self.logger.warning("ledger unavailable at start-up; comparisons will be spooled until it is back", metadata: [
                "ledger.url": "\(self.store.url)", "ledger.error": "\(Self.describe(error))",
            ])
        }
        // A full batch taken from the queue and encoded while the previous one was written; written next, before
        // anything else (so batches keep their order, and a shutdown writes or spools it like any queued record).
        var encodedAhead: [LedgerComparison]?
        while true {
            // Cancelled (not a graceful shutdown): stop taking records and drain like a shutdown, rather than
            // spinning on waits that return at once.
            if Task.isCancelled { self.queue.finish() }
            self.mergeCallerDrops(into: &machine)
            if let rows = encodedAhead {
                encodedAhead = await self.process(rows, machine: &machine)
                continue
            }
            let now = ContinuousClock.now
            let depth = self.queue.count
            let closed = self.queue.isFinished
            let flushDue = self.queue.oldestEnqueuedAt.map { $0 + self.configuration.flushInterval <= now } ?? false
            if depth >= self.configuration.batchSize || (depth > 0 && (flushDue || closed)) {
                let records = self.queue.take(max: self.configuration.batchSize)
                self.metrics.queueDepth(self.queue.count)
                encodedAhead = await self.process(records.map(self.encoder.encode), machine: &machine)
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
            if closed {
                if !machine.gaps.isEmpty { self.savePendingGaps(machine.gaps) }
                if machine.spoolPending {
                    self.logger.info("ledger stopped with batches left in the spool; the next start replays them", metadata: [
                        "ledger.spool_bytes": "\(self.spool.bytesOnDisk)",
                    ])
                }
                return
            }
            // Nothing to do now: sleep until a batch fills, the oldest record's flush deadline, or maintenance.
            var deadline = self.queue.oldestEnqueuedAt.map { $0 + self.configuration.flushInterval }
            if let maintenance = machine.maintenanceDeadline {
                deadline = deadline.map { min($0, maintenance) } ?? maintenance
            }
            await self.waitForWork(threshold: depth == 0 ? 1 : self.configuration.batchSize, deadline: deadline)
        }
    }

    private func waitForWork(threshold: Int, deadline: ContinuousClock.Instant?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.queue.wait(forAtLeast: threshold) }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Batches

    /// Writes (or spools) one encoded batch. Meanwhile, when ``LedgerConfiguration/encodeAhead`` is on and a full
    /// batch is already queued, takes it and encodes it in a child task — the redaction and sample capping of the
    /// next batch overlap the database's work on this one — and returns it: at most one batch is held ahead.
    private func process(_ rows: [LedgerComparison], machine: inout LedgerWriterStateMachine) async -> [LedgerComparison]? {
        let next = self.configuration.encodeAhead && self.queue.count >= self.configuration.batchSize
            ? self.queue.take(max: self.configuration.batchSize) : []
        if !next.isEmpty { self.metrics.queueDepth(self.queue.count) }
        let encoder = self.encoder
        async let encoded = next.map(encoder.encode)
        switch machine.action(forBatchAt: .now) {
        case .write:
            if await !self.write(rows, machine: &machine) {
                await self.spoolOrDrop(rows, machine: &machine)
            }
        case .spool:
            await self.spoolOrDrop(rows, machine: &machine)
        }
        let ahead = await encoded
        return ahead.isEmpty ? nil : ahead
    }

    /// Writes rows in one transaction. Rows the database refuses are isolated and dropped (counted).
    /// - Returns: `false` when the store is unavailable and the rows must be spooled.
    private func write(_ rows: [LedgerComparison], machine: inout LedgerWriterStateMachine) async -> Bool {
        let start = ContinuousClock.now
        do {
            try await self.insertWithTimeout(rows)
            self.metrics.written(rows.count, duration: .now - start)
            machine.storeSucceeded()
            return true
        } catch let error as LedgerError where error.isRejected && rows.count > 1 {
            // One bad row must not take the others down: write them one by one.
            for row in rows {
                guard await self.write([row], machine: &machine) else { return false }
            }
            return true
        } catch let error as LedgerError where error.isRejected {
            self.logger.error("ledger refused a comparison; dropped", metadata: [
                "ledger.comparison_id": "\(rows[0].id)", "ledger.error": "\(error.message)",
            ])
            self.metrics.dropped(1, reason: .rejected)
            machine.dropped(count: 1, from: rows[0].recordedAt, to: rows[0].recordedAt, reason: LedgerMetrics.DropReason.rejected.rawValue)
            machine.storeSucceeded()
            return true
        } catch {
            self.metrics.failedBatch()
            if machine.storeFailed(at: .now) {
                self.logger.warning("ledger unavailable; spooling to disk", metadata: [
                    "ledger.url": "\(self.store.url)", "ledger.error": "\(Self.describe(error))",
                    "ledger.spool_dir": "\(self.configuration.spoolDirectory)",
                ])
            }
            return false
        }
    }

    /// Inserts a batch, giving up after `ledger.write_timeout`.
    ///
    /// The insert runs in its own task and is abandoned (cancelled, not awaited) on timeout: a database call stuck
    /// in a driver that ignores cancellation must not stop the writer from spooling. If the abandoned insert
    /// commits after all, the spooled copy replays as a no-op (inserts are idempotent by comparison id).
    private func insertWithTimeout(_ rows: [LedgerComparison]) async throws {
        try await self.withStore { try await $0.insert(rows) }
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
        let start = ContinuousClock.now
        do {
            try await self.insertWithTimeout(rows)
            self.metrics.written(rows.count, duration: .now - start)
            self.metrics.replayed(rows.count)
            machine.storeSucceeded()
        } catch let error as LedgerError where error.isRejected {
            var remaining = rows[...]
            while let row = remaining.first {
                guard await self.write([row], machine: &machine) else { return }
                self.metrics.replayed(1)
                remaining = remaining.dropFirst()
            }
        } catch {
            self.metrics.failedBatch()
            _ = machine.storeFailed(at: .now)
            return
        }
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
