import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import Synchronization
import TapCompareCore
import TapCompareLedger

/// Writes sampled exchanges to rotating capture files: an ``ExchangeSink`` for `serve` and a `Service` for its
/// lifecycle.
///
/// ``submit(_:)`` runs on a proxy event loop, so it only samples and pushes onto a bounded queue: never a wait,
/// never I/O. When the queue is full the exchange is dropped and counted in
/// `tapcompare_capture_dropped_total{reason="queue_full"}`. The ``run()`` loop takes everything queued, redacts
/// and encodes it, and writes the batch on a thread pool (file I/O blocks, so it never runs on an event loop or
/// on the cooperative pool). On graceful shutdown it stops accepting, writes what is queued and returns.
public final class CaptureWriter: ExchangeSink, Service, Sendable {
    /// Why an exchange was not written, the `reason` label of `tapcompare_capture_dropped_total`.
    public enum DropReason: String, Sendable, CaseIterable {
        case queueFull = "queue_full"
        case shuttingDown = "shutting_down"
        case encodeError = "encode_error"
        case writeError = "write_error"
    }

    /// Why an exchange was left out by design, the `reason` label of `tapcompare_capture_skipped_total`.
    public enum SkipReason: String, Sendable, CaseIterable {
        /// Legacy never answered whole (refused, timed out, reset): the exchange's legacy side is the proxy's own
        /// 502 or 504 and its request may have been cut short, so a replay would compare the candidate against
        /// the proxy, not against legacy. The ledger keeps the exchange as `skipped` with `legacy_error`.
        case legacyError = "legacy_error"
    }

    public let configuration: CaptureConfiguration
    private let queue: BoundedQueue<Exchange>
    private let redactor: any CaptureRedacting
    private let threadPool: NIOThreadPool
    private let logger: Logger
    /// How bytes reach the file (a test's failing disk stands in here).
    private let writeBytes: RotatingCaptureFile.WriteBytes
    private let written = Atomic<Int>(0)
    private let sampledOut = Atomic<Int>(0)
    private let skippedLegacyErrors = Atomic<Int>(0)
    private let skippedLegacyErrorCounter = Counter(label: "tapcompare_capture_skipped_total", dimensions: [("reason", SkipReason.legacyError.rawValue)])
    private let dropped = NIOLockedValueBox<[DropReason: Int]>([:])
    private let droppedCounters: [DropReason: Counter]
    private let writtenCounter = Counter(label: "tapcompare_capture_written_total")
    private let withheld = NIOLockedValueBox<[WithheldSample.Reason: Int]>([:])
    private let withheldCounters: [WithheldSample.Reason: Counter] = Dictionary(uniqueKeysWithValues: WithheldSample.Reason.allCases.map {
        ($0, Counter(label: "tapcompare_capture_bodies_withheld_total", dimensions: [("reason", $0.rawValue)]))
    })

    /// - Parameters:
    ///   - configuration: where and how much to write.
    ///   - threadPool: where the blocking file writes run. Default: NIO's shared pool.
    ///   - logger: for write errors (at `error`) and rotation (at `debug`).
    /// - Throws: ``CaptureError`` when a configured redaction path cannot be parsed, or the sample rate or a limit
    ///   is out of range.
    public convenience init(
        configuration: CaptureConfiguration,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "tapcompare.capture")
    ) throws(CaptureError) {
        try self.init(configuration: configuration, threadPool: threadPool, logger: logger, writeBytes: { try $0.write(contentsOf: $1) })
    }

    /// - Parameter writeBytes: how bytes reach the file; tests make it fail as a full disk does.
    init(
        configuration: CaptureConfiguration,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "tapcompare.capture"),
        writeBytes: @escaping RotatingCaptureFile.WriteBytes
    ) throws(CaptureError) {
        guard (0...1).contains(configuration.sampleRate) else {
            throw .invalidRecord("capture.sample_rate \(configuration.sampleRate) is outside 0…1")
        }
        guard configuration.maxFileBytes > 0, configuration.maxFiles > 0, configuration.queueCapacity > 0 else {
            throw .invalidRecord("capture.max_file_bytes, capture.max_files and capture.queue_capacity must be positive")
        }
        self.configuration = configuration
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
        self.redactor = try CaptureRedactor(configuration.redaction)
        self.threadPool = threadPool
        self.logger = logger
        self.writeBytes = writeBytes
        var counters: [DropReason: Counter] = [:]
        for reason in DropReason.allCases {
            counters[reason] = Counter(label: "tapcompare_capture_dropped_total", dimensions: [("reason", reason.rawValue)])
        }
        self.droppedCounters = counters
    }

    /// Samples and queues an exchange. Returns at once; never blocks the caller.
    public func submit(_ exchange: Exchange) {
        if case .skipped(.legacyError) = exchange.candidate {
            self.skippedLegacyErrors.add(1, ordering: .relaxed)
            self.skippedLegacyErrorCounter.increment()
            return
        }
        let rate = self.configuration.sampleRate
        if rate < 1, rate <= 0 || Double.random(in: 0..<1) >= rate {
            self.sampledOut.add(1, ordering: .relaxed)
            return
        }
        switch self.queue.push(exchange) {
        case .queued: break
        case .dropped(.full): self.countDrop(.queueFull, 1)
        case .dropped(.finished): self.countDrop(.shuttingDown, 1)
        }
    }

    /// Exchanges written so far.
    public var writtenCount: Int { self.written.load(ordering: .relaxed) }
    /// Exchanges not written, by reason.
    public func droppedCount(_ reason: DropReason) -> Int { self.dropped.withLockedValue { $0[reason] ?? 0 } }
    /// Bodies left out of written records because `redact.json_paths` could not be applied to them, by reason
    /// (`tapcompare_capture_bodies_withheld_total{reason}`).
    public func withheldBodyCount(_ reason: WithheldSample.Reason) -> Int { self.withheld.withLockedValue { $0[reason] ?? 0 } }
    /// Exchanges left out by design, by reason (`tapcompare_capture_skipped_total{reason}`).
    public func skippedCount(_ reason: SkipReason) -> Int {
        switch reason {
        case .legacyError: self.skippedLegacyErrors.load(ordering: .relaxed)
        }
    }
    /// Exchanges left out by `capture.sample_rate` (by design, so not a drop).
    public var sampledOutCount: Int { self.sampledOut.load(ordering: .relaxed) }

    public func run() async throws {
        let file = RotatingCaptureFile(
            path: self.configuration.path,
            policy: CaptureRotationPolicy(maxFileBytes: self.configuration.maxFileBytes, maxFiles: self.configuration.maxFiles),
            logger: self.logger,
            writeBytes: self.writeBytes
        )
        self.logger.info("capture writing", metadata: [
            "capture.path": "\(self.configuration.path)",
            "capture.sample_rate": "\(self.configuration.sampleRate)",
        ])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while let batch = await self.queue.nextBatch(max: .max) {
                    await self.write(batch, to: file)
                }
            } onGracefulShutdown: {
                self.queue.finish()
            }
        } onCancel: {
            self.queue.finish()
        }
        file.close()
    }

    private func write(_ batch: [Exchange], to file: RotatingCaptureFile) async {
        let codec = CaptureCodec()
        var lines: [Data] = []
        lines.reserveCapacity(batch.count)
        for exchange in batch {
            var record = CaptureRecord(exchange)
            for body in self.redactor.redact(&record) {
                self.withheldCounters[body.reason]?.increment()
                self.withheld.withLockedValue { $0[body.reason, default: 0] += 1 }
            }
            do {
                var line = try codec.encode(record)
                line.append(UInt8(ascii: "\n"))
                lines.append(line)
            } catch {
                self.countDrop(.encodeError, 1)
                self.logger.error("capture record not encoded", metadata: ["error": "\(error)", "request.id": "\(exchange.requestID)"])
            }
        }
        guard !lines.isEmpty else { return }
        let box = FileBox(file)
        let toWrite = lines
        let written: Int
        do {
            try await self.threadPool.runIfActive { try box.file.write(lines: toWrite) }
            written = lines.count
        } catch {
            // The file holds the first `written` lines whole and nothing of the others (it was cut back to its last
            // whole line): those are lost, counted, and the next batch is appended after whole lines only.
            let failure = error as? RotatingCaptureFile.WriteFailure
            written = failure?.written ?? 0
            self.countDrop(.writeError, lines.count - written)
            self.logger.error("capture write failed", metadata: [
                "capture.path": "\(self.configuration.path)", "error": "\(failure.map { "\($0.underlying)" } ?? "\(error)")",
                "capture.dropped": "\(lines.count - written)",
            ])
        }
        if written > 0 {
            self.written.add(written, ordering: .relaxed)
            self.writtenCounter.increment(by: written)
        }
    }

    private func countDrop(_ reason: DropReason, _ n: Int) {
        self.dropped.withLockedValue { $0[reason, default: 0] += n }
        self.droppedCounters[reason]!.increment(by: n)
    }
}

/// Hands the file to the thread pool. Safe because the run loop awaits each write before starting the next,
/// so exactly one thread touches the file at a time.
private struct FileBox: @unchecked Sendable {
    let file: RotatingCaptureFile
    init(_ file: RotatingCaptureFile) { self.file = file }
}
