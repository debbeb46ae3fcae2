import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// `tapcompare-bench diff`: throughput of normalize+diff on comment trees, beside Foundation's parse-only.
///
/// Throughput is the legacy body's size divided by the time of one whole comparison (both bodies parsed,
/// normalized and diffed), on one core. `--fixtures DIR` also writes each legacy/candidate pair so
/// `bench/diff.sh` can time Python's deepdiff on exactly the same bytes.
struct DiffBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Diff engine throughput (MB/s).")

    @Option(help: "Write the fixture pairs here (for the deepdiff comparison).")
    var fixtures: String?

    @Option(help: "Minimum measuring time per case, in seconds.")
    var seconds: Double = 1.0

    @Flag(help: "Skip the Foundation baseline (for profiling the engine alone).")
    var skipFoundation = false

    @Option(help: "Run only the case named exactly 'size/case' (e.g. '64KB/1pct-changed').")
    var only: String?

    func run() throws {
        var generator = DiffFixtures()
        let rules = try RuleSetLoader.load(sources: [(name: "ten-rules.yml", text: DiffFixtures.tenRules)])
        precondition(rules.rules.count == 10, "the ten-rule set has \(rules.rules.count) rules")
        let plain = TapCompareComparison.Comparator()
        let ruled = TapCompareComparison.Comparator(ruleSet: rules)
        let route = rules.routeRules(route: "GET /api/v1/posts/{id}/comments", method: "GET", path: "/api/v1/posts/4242/comments")
        if let fixtures { try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true) }

        print("size\tcase\tbytes\tchanged_fields\tdiscrepancies\tswift_mb_s_cpu\tfoundation_parse_mb_s_cpu\tswift_mb_s_wall")
        for (label, target) in [("1KB", 1024), ("64KB", 64 * 1024), ("1MB", 1024 * 1024)] {
            let legacyValue = generator.document(targetBytes: target)
            let legacy = Array(legacyValue.serialized().utf8)
            let (changedValue, changedCount) = generator.changing(legacyValue, fraction: 0.01)
            let cases: [(String, [UInt8], TapCompareComparison.Comparator, RouteRules, Int)] = [
                ("identical", legacy, plain, .none, 0),
                ("equal-reordered", Array(DiffFixtures.reordered(legacyValue).serialized().utf8), plain, .none, 0),
                ("1pct-changed", Array(changedValue.serialized().utf8), plain, .none, changedCount),
                ("1pct-changed+10rules", Array(changedValue.serialized().utf8), ruled, route, changedCount),
            ]
            for (name, candidate, comparator, routeRules, changed) in cases {
                if let only, "\(label)/\(name)" != only { continue }
                let l = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: legacy))
                let c = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: candidate))
                var discrepancies = 0
                let swift = Self.measure(bytes: legacy.count, seconds: self.seconds) {
                    discrepancies = comparator.compare(legacy: l, candidate: c, rules: routeRules).discrepancies.count
                }
                let legacyData = Data(legacy)
                let candidateData = Data(candidate)
                let foundation = self.skipFoundation ? (cpu: 0, wall: 0) : Self.measure(bytes: legacy.count, seconds: self.seconds) {
                    _ = try? JSONSerialization.jsonObject(with: legacyData)
                    _ = try? JSONSerialization.jsonObject(with: candidateData)
                }
                print("\(label)\t\(name)\t\(legacy.count)\t\(changed)\t\(discrepancies)\t\(String(format: "%.1f", swift.cpu))\t\(String(format: "%.1f", foundation.cpu))\t\(String(format: "%.1f", swift.wall))")
                if let fixtures {
                    try Data(legacy).write(to: URL(fileURLWithPath: fixtures).appendingPathComponent("\(label)-\(name)-legacy.json"))
                    try Data(candidate).write(to: URL(fileURLWithPath: fixtures).appendingPathComponent("\(label)-\(name)-candidate.json"))
                }
            }
        }
    }

    /// MB/s (10^6 bytes) of `body` run repeatedly for at least `seconds` of CPU time, after a warm-up:
    /// per core (bytes / this thread's CPU time, so other processes on a shared machine do not count) and
    /// wall-clock.
    static func measure(bytes: Int, seconds: Double, _ body: () -> Void) -> (cpu: Double, wall: Double) {
        for _ in 0..<3 { body() }
        let clock = ContinuousClock()
        var iterations = 0
        let start = clock.now
        let cpuStart = Self.threadCPUSeconds()
        var cpu = 0.0
        repeat {
            for _ in 0..<8 { body() }
            iterations += 8
            cpu = Self.threadCPUSeconds() - cpuStart
        } while cpu < seconds
        let elapsed = clock.now - start
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let total = Double(bytes) * Double(iterations)
        return (total / cpu / 1e6, total / wall / 1e6)
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
