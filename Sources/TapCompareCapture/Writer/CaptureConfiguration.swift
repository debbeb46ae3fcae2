import TapCompareLedger

/// How `serve` writes captures (`capture:` in the configuration).
public struct CaptureConfiguration: Sendable, Hashable {
    /// `capture.path`: the file written now, e.g. `captures/traffic.jsonl`. Rotated files are `PATH.1` (newest)
    /// to `PATH.<max_files - 1>` (oldest), so `replay captures/traffic.jsonl*` reads them all. No default:
    /// capture is off unless a path is configured.
    public var path: String
    /// `capture.sample_rate`: the fraction of compared exchanges written, 0…1, on top of the comparison's own
    /// sampling. Default `1.0` (every compared exchange).
    public var sampleRate: Double
    /// `capture.max_file_bytes`: a file is rotated before a line would take it past this size (a single line
    /// larger than this gets a file of its own). Default 64 MiB.
    public var maxFileBytes: Int
    /// `capture.max_files`: files kept, the one being written included; the oldest is deleted. Default `10`.
    public var maxFiles: Int
    /// `capture.queue_capacity`: exchanges waiting to be written; beyond it an exchange is dropped and counted in
    /// `tapcompare_capture_dropped_total{reason="queue_full"}`. Default `4096`.
    public var queueCapacity: Int
    /// The `redact:` section, shared with the ledger: header names, query parameters and JSON paths redacted
    /// before writing, on top of the sensitive defaults (`Authorization`, `Proxy-Authorization`, `Cookie`,
    /// `Set-Cookie`). Default: the defaults only.
    public var redaction: RedactionConfiguration

    public init(
        path: String,
        sampleRate: Double = 1.0,
        maxFileBytes: Int = 64 * 1024 * 1024,
        maxFiles: Int = 10,
        queueCapacity: Int = 4096,
        redaction: RedactionConfiguration = RedactionConfiguration()
    ) {
        self.path = path
        self.sampleRate = sampleRate
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.queueCapacity = queueCapacity
        self.redaction = redaction
    }
}
