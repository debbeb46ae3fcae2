import ArgumentParser
import Foundation
import Logging
import TapCompareCapture

/// `tapcompare-bench replay`: replays 100,000 captured exchanges against a running candidate and reports the rate.
///
/// The capture is the fixture's reads repeated to `--count` and written to a temporary capture file, so the
/// figure includes what a real run does: reading and decoding the JSON Lines, sending, comparing with the diff
/// engine and the rules, aggregating. `bench/replay.sh` starts the candidate (`tapcompare demo --services-only
/// --latency-scale 0`) and runs this against it.
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

    func run() async throws {
        let reads = try CaptureFile.read(path: self.fixture).filter { $0.request.method == "GET" }
        guard !reads.isEmpty else { throw ValidationError("\(self.fixture) has no GET exchanges") }
        var records: [CaptureRecord] = []
        records.reserveCapacity(self.count)
        for i in 0..<self.count { records.append(reads[i % reads.count]) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-bench-\(UUID().uuidString).jsonl").path
        try CaptureFile.write(records, path: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let clock = ContinuousClock()
        let readStart = clock.now
        let loaded = try ReplayRun.read([path])
        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: self.candidate, flag: "--candidate"),
            concurrency: self.concurrency,
            runID: "bench"
        )
        let comparator = try ReplayComparators.make(rulesDirectory: self.rules.isEmpty ? nil : self.rules)
        let replayer = Replayer(configuration: configuration, comparator: comparator)
        let items = try replayer.prepare(loaded)
        let readTime = clock.now - readStart

        let start = clock.now
        let summary = await replayer.run(items)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let readSeconds = Double(readTime.components.seconds) + Double(readTime.components.attoseconds) / 1e18
        print("capture: \(self.count) exchanges, \(size / 1_048_576) MiB, read and decoded in \(String(format: "%.2f", readSeconds)) s")
        print("replay: \(summary.judged) judged (\(summary.matched) matched, \(summary.mismatched) mismatched, \(summary.candidateErrors) errors, \(summary.candidateTimeouts) timeouts) in \(String(format: "%.2f", seconds)) s")
        print(String(format: "rate: %.0f requests/s (concurrency %d)", Double(summary.judged) / seconds, self.concurrency))
        let p = summary.latencyPercentiles
        print(String(format: "candidate latency p50 %.2f ms, p99 %.2f ms", p.candidateP50 ?? 0, p.candidateP99 ?? 0))
    }
}
