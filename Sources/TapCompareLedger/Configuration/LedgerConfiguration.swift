import Foundation

/// Everything the ledger needs: where it is, how samples are capped, how writes are batched and spooled, what is
/// redacted. The `ledger.*` and `redact.*` keys of the YAML configuration map onto these properties one to one.
public struct LedgerConfiguration: Sendable {
    /// `ledger.url` (or `--ledger`). Default: ``LedgerURL/default``, `sqlite:tapcompare.sqlite`.
    public var url: LedgerURL
    /// `ledger.max_sample_bytes`: the most bytes kept of each sample (request, legacy body, candidate body).
    /// Samples are kept for mismatches and errors only. Default 65,536 (64 KiB).
    public var maxSampleBytes: Int
    /// `ledger.spool_dir`: where batches go while the database is down. One instance per directory (it is
    /// locked). Default `tapcompare-spool` in the working directory.
    public var spoolDirectory: String
    /// `ledger.spool_max_bytes`: the spool's cap; beyond it comparisons are dropped, counted and recorded as a
    /// `ledger_gaps` row. Default 1 GiB.
    public var spoolMaxBytes: Int
    /// `ledger.batch_size`: the most comparisons written in one transaction. Default 1,000.
    public var batchSize: Int
    /// `ledger.flush_interval`: the longest a comparison waits in the queue before its batch is written,
    /// however small the batch. Default 100 ms.
    public var flushInterval: Duration
    /// `ledger.queue_capacity`: comparisons held in memory between `record(_:)` and the batch writer; when it is
    /// full, comparisons are dropped (`reason="queue_full"`) rather than making a caller wait. Default 50,000.
    public var queueCapacity: Int
    /// `ledger.writers`: the most batches being written at once, each in its own transaction on its own pooled
    /// connection, so the next batch is sent while the previous one waits for its round trips and its commit's
    /// fsync (one writer alone kept PostgreSQL at a third of raw `COPY` speed, the writer idle on the network).
    /// Between 1 and ``maxWriters``. SQLite takes one transaction at a time, so its writer uses 1 whatever this
    /// says. Default 3.
    public var writers: Int
    /// The highest `ledger.writers`: the PostgreSQL store's connection pool holds 8 connections, and a gap row,
    /// a migration or a write abandoned on timeout needs one too.
    public static let maxWriters = 6
    /// How long one batch may take before the database counts as slow and the batch is spooled instead.
    /// Default 5 s.
    public var writeTimeout: Duration
    /// How often a down ledger is retried (the spool is replayed as soon as a retry succeeds). Default 1 s.
    public var retryInterval: Duration
    /// This process's name in `comparisons.instance`. Default `hostname:pid`.
    public var instance: String
    /// `redact.*`. Default: the sensitive headers only.
    public var redaction: RedactionConfiguration
    /// Whether the writer encodes (redacts and caps) the next full batch while the current one is being written,
    /// at most one batch ahead. Off by default: measured on the 2-core build machine (database on the same host)
    /// it did not pay — with no idle core the overlap only adds contention (`bench/results/ledger.md`, issue 17).
    /// Not a YAML key: `tapcompare-bench ledger --encode-ahead` turns it on to measure it again where there are
    /// spare cores. Default `false`.
    public var encodeAhead = false

    public init(
        url: LedgerURL = .default,
        maxSampleBytes: Int = 64 * 1024,
        spoolDirectory: String = "tapcompare-spool",
        spoolMaxBytes: Int = 1 << 30,
        batchSize: Int = 1_000,
        flushInterval: Duration = .milliseconds(100),
        queueCapacity: Int = 50_000,
        writers: Int = 3,
        writeTimeout: Duration = .seconds(5),
        retryInterval: Duration = .seconds(1),
        instance: String = LedgerConfiguration.defaultInstanceName(),
        redaction: RedactionConfiguration = RedactionConfiguration()
    ) {
        self.url = url
        self.maxSampleBytes = maxSampleBytes
        self.spoolDirectory = spoolDirectory
        self.spoolMaxBytes = spoolMaxBytes
        self.batchSize = batchSize
        self.flushInterval = flushInterval
        self.queueCapacity = queueCapacity
        self.writers = writers
        self.writeTimeout = writeTimeout
        self.retryInterval = retryInterval
        self.instance = instance
        self.redaction = redaction
    }

    /// `hostname:pid`, unique among the processes writing one ledger.
    public static func defaultInstanceName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Checks every value is in range.
    /// - Throws: ``LedgerError`` naming the YAML key and the fix.
    public func validate() throws(LedgerError) {
        if self.maxSampleBytes < 0 {
            throw .invalidConfiguration("ledger.max_sample_bytes must be 0 or more (got \(self.maxSampleBytes))")
        }
        if self.batchSize < 1 || self.batchSize > 100_000 {
            throw .invalidConfiguration("ledger.batch_size must be between 1 and 100000 (got \(self.batchSize))")
        }
        if self.queueCapacity < self.batchSize {
            throw .invalidConfiguration("ledger.queue_capacity (\(self.queueCapacity)) must be at least ledger.batch_size (\(self.batchSize))")
        }
        if self.writers < 1 || self.writers > Self.maxWriters {
            throw .invalidConfiguration(
                "ledger.writers must be between 1 and \(Self.maxWriters) (got \(self.writers)): the batches written at once, each on its own database connection"
            )
        }
        if self.flushInterval <= .zero {
            throw .invalidConfiguration("ledger.flush_interval must be positive, e.g. '100ms'")
        }
        if self.spoolMaxBytes < 0 {
            throw .invalidConfiguration("ledger.spool_max_bytes must be 0 or more (got \(self.spoolMaxBytes))")
        }
        if self.spoolDirectory.isEmpty {
            throw .invalidConfiguration("ledger.spool_dir must not be empty")
        }
    }
}
