import Logging
import Metrics
import ServiceLifecycle

/// Hands the memory `serve` has freed back to the operating system every `memory_release_interval`.
///
/// Why: glibc's malloc keeps freed memory in its arenas (one per busy thread, up to eight per core) for reuse,
/// and returns only the free space at the very top of each. Under steady load the live heap of `serve` stays
/// flat (5–15 MiB with every request mirrored, measured with heaptrack), yet its resident memory climbed in
/// steps of 10–20 MiB over ten minutes: free memory stranded in arenas, which `malloc_trim(0)` returns. Capping
/// the arenas instead (`MALLOC_ARENA_MAX=2`) also kept memory flat but cost 10–15% of proxy throughput in
/// `bench/proxy.sh`, so the arenas stay and are trimmed. Envoy does the same with tcmalloc
/// (`memory_release_interval`). `bench/results/soak.md` has the figures.
///
/// Off the request path: its own task, once per interval. Each trim locks one arena at a time while it walks it,
/// so a thread allocating from that arena waits that long; `tapcompare_memory_release_seconds` shows how long.
/// Where the C library is not glibc the service logs that once and stops.
public struct MemoryReleaseService: Service {
    /// Default 10 s: the resident set saw-tooths between releases by what the arenas strand in one interval, so a
    /// short one keeps it flat (`bench/results/soak.md`) at a cost of a few milliseconds per release.
    public static let defaultInterval: Duration = .seconds(10)

    let interval: Duration
    let logger: Logger
    let release: @Sendable () -> Bool?
    let metrics: Instruments

    /// - Parameter release: the call that returns free memory; tests pass their own.
    public init(
        interval: Duration = Self.defaultInterval,
        logger: Logger,
        release: @escaping @Sendable () -> Bool? = ProcessMemory.releaseFreeMemory
    ) {
        self.interval = interval
        self.logger = logger
        self.release = release
        self.metrics = Instruments()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: self.interval) } catch { return }
                guard self.releaseOnce() else {
                    self.logger.info("memory_release_interval: this C library cannot return freed memory (not glibc); not releasing")
                    return
                }
            }
        }
    }

    /// One release: trims, then records how long it took, how much resident memory it returned and the heap.
    /// Returns `false` where releasing is not supported.
    @discardableResult
    func releaseOnce() -> Bool {
        let before = ProcessMemory.residentAnonymousBytes()
        let start = ContinuousClock.now
        guard self.release() != nil else { return false }
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        self.metrics.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        if let before, let after = ProcessMemory.residentAnonymousBytes(), before > after {
            self.metrics.released.increment(by: before - after)
        }
        if let heap = ProcessMemory.heap() {
            self.metrics.heapInUse.record(heap.inUse)
            self.metrics.heapFree.record(heap.freeHeld)
        }
        return true
    }

    struct Instruments: Sendable {
        let duration = Timer(label: "tapcompare_memory_release_seconds")
        let released = Counter(label: "tapcompare_memory_released_bytes_total")
        let heapInUse = Gauge(label: "tapcompare_heap_in_use_bytes")
        let heapFree = Gauge(label: "tapcompare_heap_free_bytes")
    }
}
