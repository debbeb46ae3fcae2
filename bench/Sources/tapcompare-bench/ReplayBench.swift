import ArgumentParser
import Foundation
import Logging
import TapCompareCapture

/// `tapcompare-bench replay`: replays 100,000 captured exchanges against a running candidate and reports the rate.
///
/// The exchanges are the fixture's reads (every GET route, bodies from 100 bytes to ~40 KB) repeated to
/// `--count`. Reading is timed on its own over `--file-count` of them written to a capture file; the replay then
/// sends all `--count`, compares each with the diff engine and the rules, and aggregates, which is what the rate
/// measures. `bench/replay.sh` starts the candidate (`tapcompare demo --services-only --latency-scale 0`) and runs
/// this against it.
struct ReplayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay N captured exchanges against a local candidate; prints requests per second."
    )

    @Option(help: "The candidate's URL.")
    var candidate: String

    @Option(help: "Exchanges to replay.")
    var count = 100_000

    @Option(help: "Requests in flight.")
    var concurrency = 64

    @Option(help: "The capture whose reads are repeated.")
    var fixture = "fixtures/comments.capture.jsonl"

    @Option(help: "The diff-rules directory (empty string: no rules).")
    var rules = "diff-rules"

    @Option(help: "Exchanges written to and read back from a capture file to time reading (the replay repeats them).")
    var fileCount = 10_000

    func run() async throws {
        // The recorded candidate side is not used by a replay; dropping it keeps the file to what matters.
        let reads = try CaptureFile.read(path: self.fixture).filter { $0.request.method == "GET" }.map { r -> CaptureRecord in
            var r = r
            r.candidate = nil
            return r
        }
        guard !reads.isEmpty else { throw ValidationError("\(self.fixture) has no GET exchanges") }
        let fileRecords = (0..<min(self.fileCount, self.count)).map { reads[$0 % reads.count] }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-bench-\(UUID().uuidString).jsonl").path
        try CaptureFile.write(fileRecords, path: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let clock = ContinuousClock()
        let readStart = clock.now
        let loaded = try ReplayRun.read([path]).records
        let readSeconds = Self.seconds(clock.now - readStart)

        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: self.candidate, flag: "--candidate"),
            concurrency: self.concurrency,
            runID: "bench"
        )
        let comparator = try ReplayComparators.make(rulesDirectory: self.rules.isEmpty ? nil : self.rules)
        let replayer = Replayer(configuration: configuration, comparator: comparator)
        let once = try replayer.prepare(loaded)
        var items: [Replayer.Item] = []
        items.reserveCapacity(self.count)
        for i in 0..<self.count {
            var item = once[i % once.count]
            item.captureIndex = i
            items.append(item)
        }

        let start = clock.now
        let summary = await replayer.run(items)
        let seconds = Self.seconds(clock.now - start)
        print(String(format: "read: %d exchanges (%.1f MiB) read and decoded in %.2f s: %.0f exchanges/s, %.1f MiB/s",
                     loaded.count, Double(size) / 1_048_576, readSeconds, Double(loaded.count) / readSeconds, Double(size) / 1_048_576 / readSeconds))
        print("replay: \(summary.total) exchanges, \(summary.judged) judged (\(summary.matched) matched, \(summary.mismatched) mismatched, \(summary.candidateErrors) errors, \(summary.candidateTimeouts) timeouts) in \(String(format: "%.2f", seconds)) s")
        print(String(format: "rate: %.0f requests/s (concurrency %d)", Double(summary.judged) / seconds, self.concurrency) + ", rules: \(self.rules.isEmpty ? "none" : self.rules)")
        let p = summary.latencyPercentiles
        print(String(format: "candidate latency as seen by the replayer: p50 %.2f ms, p99 %.2f ms", p.candidateP50 ?? 0, p.candidateP99 ?? 0))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
