import Metrics
import NIOConcurrencyHelpers

/// The ledger's metrics (swift-metrics; exported by whatever backend the application bootstraps) plus the same
/// figures kept in-process for `ledger status`, logs and tests.
///
/// Handles are created once and cached (per reason too), so every counter exists at zero from start-up: recording
/// is a counter increment, never a lookup. Labels are low-cardinality: the only dimension is a `reason` from a
/// fixed set.
public final class LedgerMetrics: Sendable {
    /// Why comparisons are dropped instead of stored.
    public enum DropReason: String, Sendable, CaseIterable {
        /// The ledger was unavailable and the spool was at `ledger.spool_max_bytes`.
        case spoolFull = "spool_full"
        /// `record(_:)` found the in-memory queue at `ledger.queue_capacity`.
        case queueFull = "queue_full"
        /// The database refused the row itself (not the connection): it can never be stored.
        case rejected
        /// The spool could not be written (disk error) while the ledger was unavailable.
        case spoolError = "spool_error"
        /// `record(_:)` was called after the writer had shut down.
        case shuttingDown = "shutting_down"
        /// A spooled frame was whole (its checksum right) but is not a batch this version can read (written by an
        /// incompatible version, or damaged before it was checksummed). Counted when the frame says how many
        /// comparisons it held; the frame itself is counted in ``SpoolLoss/undecodable`` either way.
        case spoolUndecodable = "spool_undecodable"
    }

    /// Why spooled frames were lost when the spool was read for replay (`tapcompare_ledger_spool_frames_lost_total`).
    /// Each becomes a `ledger_gaps` row with reason ``gapReason``.
    public enum SpoolLoss: String, Sendable, CaseIterable {
        /// Bytes that are not a whole frame: checksum, magic or length wrong (the disk damaged them) or cut short (a
        /// crash in the middle of an append). That frame and the rest of its segment cannot be read, so how many
        /// comparisons they held is unknown; one damaged stretch counts once.
        case corrupt
        /// A whole frame that does not decode as a batch (``DropReason/spoolUndecodable``).
        case undecodable

        /// The `ledger_gaps.reason` of the comparisons lost.
        public var gapReason: String { "spool_" + self.rawValue }
    }

    /// The spool's I/O errors (`tapcompare_ledger_spool_errors_total`).
    public enum SpoolError: String, Sendable, CaseIterable {
        /// A batch could not be written to the spool (disk full, I/O error): it is dropped, ``DropReason/spoolError``.
        case write
        /// A batch was written whole but `fsync` failed: it stays in the spool and replays (it is counted as
        /// spooled, not dropped), but is not known to be on the disk until then.
        case fsync
        /// The part of a batch a failed write left in the spool could not be cut off; replay stops before it (the
        /// batch is already counted as ``DropReason/spoolError``).
        case truncate
        /// A spool segment could not be read for replay; retried every `ledger.retry_interval`.
        case read
        /// A spool segment all replayed could not be deleted (`EACCES`, `EBUSY`): it is kept but never replayed again
        /// (marked replayed in `pending-gaps.json`), and its delete is retried every `ledger.retry_interval` and at
        /// start-up; counted at each failed attempt.
        case unlink
    }

    /// In-process totals since start.
    public struct Snapshot: Sendable, Hashable {
        public var written = 0
        public var spooled = 0
        public var replayed = 0
        public var dropped: [String: Int] = [:]
        public var batches = 0
        public var failedBatches = 0
        public var gapsWritten = 0
        /// Spooled frames lost when the spool was read, by ``SpoolLoss`` reason.
        public var spoolFramesLost: [String: Int] = [:]
        /// The spool's I/O errors, by ``SpoolError`` reason.
        public var spoolErrors: [String: Int] = [:]
        /// Body samples not stored because `redact.json_paths` could not be applied, by reason.
        public var withheldSamples: [String: Int] = [:]
        public var droppedTotal: Int { self.dropped.values.reduce(0, +) }
    }

    private let writtenCounter: Counter
    private let spooledCounter: Counter
    private let replayedCounter: Counter
    private let droppedCounters: [DropReason: Counter]
    private let withheldCounters: [WithheldSample.Reason: Counter]
    private let spoolLostCounters: [SpoolLoss: Counter]
    private let spoolErrorCounters: [SpoolError: Counter]
    private let batchTimer: Metrics.Timer
    private let queueDepthGauge: Gauge
    private let spoolBytesGauge: Gauge
    private let totals = NIOLockedValueBox(Snapshot())

    /// - Parameter factory: where the handles are created. Default `MetricsSystem.factory` (the backend the
    ///   application bootstrapped; `serve` exports it on `/metrics`). A test that runs a writer of its own passes
    ///   `NOOPMetricsHandler.instance`, so its drops never move the process-wide counters that another test reads.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.writtenCounter = Counter(label: "tapcompare_ledger_written_total", factory: factory)
        self.spooledCounter = Counter(label: "tapcompare_ledger_spooled_total", factory: factory)
        self.replayedCounter = Counter(label: "tapcompare_ledger_replayed_total", factory: factory)
        self.droppedCounters = Dictionary(uniqueKeysWithValues: DropReason.allCases.map {
            ($0, Counter(label: "tapcompare_ledger_dropped_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        self.withheldCounters = Dictionary(uniqueKeysWithValues: WithheldSample.Reason.allCases.map {
            ($0, Counter(label: "tapcompare_ledger_samples_withheld_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        self.spoolLostCounters = Dictionary(uniqueKeysWithValues: SpoolLoss.allCases.map {
            ($0, Counter(label: "tapcompare_ledger_spool_frames_lost_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        self.spoolErrorCounters = Dictionary(uniqueKeysWithValues: SpoolError.allCases.map {
            ($0, Counter(label: "tapcompare_ledger_spool_errors_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        self.batchTimer = Metrics.Timer(label: "tapcompare_ledger_batch_duration_seconds", preferredDisplayUnit: .milliseconds, factory: factory)
        self.queueDepthGauge = Gauge(label: "tapcompare_ledger_queue_depth", factory: factory)
        self.spoolBytesGauge = Gauge(label: "tapcompare_ledger_spool_bytes", factory: factory)
    }

    public var snapshot: Snapshot { self.totals.withLockedValue { $0 } }

    func written(_ n: Int, duration: Duration) {
        self.writtenCounter.increment(by: n)
        let (s, a) = duration.components
        self.batchTimer.recordNanoseconds(s * 1_000_000_000 + a / 1_000_000_000)
        self.totals.withLockedValue {
            $0.written += n
            $0.batches += 1
        }
    }

    func failedBatch() { self.totals.withLockedValue { $0.failedBatches += 1 } }

    func spooled(_ n: Int) {
        self.spooledCounter.increment(by: n)
        self.totals.withLockedValue { $0.spooled += n }
    }

    func replayed(_ n: Int) {
        self.replayedCounter.increment(by: n)
        self.totals.withLockedValue { $0.replayed += n }
    }

    func dropped(_ n: Int, reason: DropReason) {
        self.droppedCounters[reason]?.increment(by: n)
        self.totals.withLockedValue { $0.dropped[reason.rawValue, default: 0] += n }
    }

    /// A body sample left out of a stored comparison (``WithheldSample``).
    func sampleWithheld(_ reason: WithheldSample.Reason) {
        self.withheldCounters[reason]?.increment()
        self.totals.withLockedValue { $0.withheldSamples[reason.rawValue, default: 0] += 1 }
    }

    /// A spooled frame (or damaged stretch of one) lost when the spool was read; its comparisons, when known, are
    /// counted in ``dropped(_:reason:)`` too.
    func spoolFrameLost(_ reason: SpoolLoss) {
        self.spoolLostCounters[reason]?.increment()
        self.totals.withLockedValue { $0.spoolFramesLost[reason.rawValue, default: 0] += 1 }
    }

    func spoolError(_ reason: SpoolError) {
        self.spoolErrorCounters[reason]?.increment()
        self.totals.withLockedValue { $0.spoolErrors[reason.rawValue, default: 0] += 1 }
    }

    func gapWritten() { self.totals.withLockedValue { $0.gapsWritten += 1 } }

    func queueDepth(_ n: Int) { self.queueDepthGauge.record(n) }

    func spoolBytes(_ n: Int) { self.spoolBytesGauge.record(n) }
}
