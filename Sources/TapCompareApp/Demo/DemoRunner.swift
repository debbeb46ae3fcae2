import Foundation
import Logging
import ServiceLifecycle
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import NIOCore
import TapCompareRules

/// `tapcompare demo` from start to report: the example services, `serve`'s own wiring in front of them at
/// sample rate 1.0, the fixture traffic through it, the ledger, and a summary.
///
/// The proxy is assembled by ``ServeRunner`` exactly as `tapcompare serve` does, with capture turned on: after
/// a graceful shutdown (which drains the comparison stage and flushes the ledger) the capture holds every
/// mirrored exchange, and the summary is computed from it with the same rules and engine, so it agrees with the
/// ledger row for row.
public struct DemoRunner: Sendable {
    public struct Options: Sendable {
        /// The capture whose traffic is served and driven. Default `fixtures/comments.capture.jsonl`.
        public var fixture: String
        /// Where comparisons are recorded. Default `sqlite:tapcompare.sqlite`.
        public var ledger: String
        /// The diff-rules directory. Default `diff-rules` (no rules when it does not exist).
        public var rules: String
        /// The services' latencies. Default: as recorded for legacy, faster for the candidate.
        public var latency: DemoLatency
        /// Where the proxy's capture of the demo traffic is written. Default `tapcompare-demo.capture.jsonl`.
        public var capture: String
        /// Requests sent at once. Default `8`.
        public var concurrency: Int
        /// The ledger's spool directory. Default: the ledger's default, `tapcompare-spool`.
        public var spoolDirectory: String?

        public init(
            fixture: String = "fixtures/comments.capture.jsonl",
            ledger: String = "sqlite:tapcompare.sqlite",
            rules: String = "diff-rules",
            latency: DemoLatency = DemoLatency(),
            capture: String = "tapcompare-demo.capture.jsonl",
            concurrency: Int = 8,
            spoolDirectory: String? = nil
        ) {
            self.spoolDirectory = spoolDirectory
            self.fixture = fixture
            self.ledger = ledger
            self.rules = rules
            self.latency = latency
            self.capture = capture
            self.concurrency = concurrency
        }
    }

    /// What a demo run produced, for tests and for the printed report.
    public struct Outcome: Sendable {
        public var summary: ReplaySummary
        public var traffic: DemoTrafficDriver.Result
        public var captured: Int
    }

    public let options: Options
    public let store: DemoFixtureStore
    public let logger: Logger
    private let output: @Sendable (String) -> Void

    public init(
        options: Options, store: DemoFixtureStore, logger: Logger,
        output: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }
    ) {
        self.options = options
        self.store = store
        self.logger = logger
        self.output = output
    }

    /// Runs the demo and prints the report; returns the exit status (0 when the demo ran, whatever the
    /// candidate's mismatches: finding them is the point).
    public func run() async throws -> Int32 {
        let outcome = try await self.execute()
        let s = outcome.summary
        var text = "\n" + ReplayRun.terminalSummary(ReplayRun.Result(summary: s, verdict: ReplayVerdict.judge(s, candidate: "candidate", maxMismatchRate: 0)), runID: nil)
        let statuses = outcome.traffic.statuses.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
        text += "client traffic: \(outcome.traffic.sent) requests through the proxy (\(statuses)\(outcome.traffic.failures > 0 ? ", \(outcome.traffic.failures) failed" : ""))\n"
        text += "compared: \(s.judged) mirrored reads — \(s.matched) matched, \(s.mismatched) with regressions, \(s.noiseOnly) noise only, "
        text += "\(s.candidateErrors + s.candidateTimeouts) candidate errors or timeouts; writes are not mirrored (routes need mirror_writes: true)\n"
        text += "ledger:  \(self.options.ledger)\n"
        text += "capture: \(self.options.capture) (\(outcome.captured) exchanges) — replay it in CI with\n"
        text += "         tapcompare replay \(self.options.capture) --candidate URL --junit report.xml\n"
        text += "HTML report: not available in this build (`tapcompare report` is not part of it yet)\n"
        self.output(text)
        return 0
    }

    /// Starts everything, drives the traffic, shuts down cleanly and summarizes.
    public func execute() async throws -> Outcome {
        let records = try CaptureFile.read(path: self.options.fixture)
        var isDirectory: ObjCBool = false
        let rules = FileManager.default.fileExists(atPath: self.options.rules, isDirectory: &isDirectory) && isDirectory.boolValue
            ? self.options.rules : nil
        let ruleSet = try rules.map { try RuleSetLoader.load(directory: $0) } ?? .empty
        let options = self.options
        let logger = self.logger
        let output = self.output
        try? FileManager.default.removeItem(atPath: options.capture)

        let traffic = try await DemoServers.withRunning(store: self.store, latency: options.latency, logger: logger) { endpoints in
            var configuration = ServeConfiguration()
            configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.legacy = try UpstreamURL(parsing: endpoints.legacy)
            configuration.candidate = try UpstreamURL(parsing: endpoints.candidate)
            configuration.sampleRate = 1.0
            configuration.rules = rules
            configuration.ledger.url = try LedgerURL(parsing: options.ledger)
            if let spool = options.spoolDirectory { configuration.ledger.spoolDirectory = spool }
            configuration.admin.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.capture.path = options.capture
            configuration.capture.sampleRate = 1.0
            configuration.shutdownGrace = .seconds(10)
            let assembly = try ServeRunner(configuration: configuration, configurationFile: "tapcompare demo").assemble(logger: logger)
            let group = ServiceGroup(configuration: .init(services: assembly.services, logger: logger))
            return try await withThrowingTaskGroup(of: DemoTrafficDriver.Result?.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return nil
                }
                let address = try await assembly.proxy.boundAddress()
                let proxy = "http://127.0.0.1:\(address.port ?? 0)"
                output("""
                    TapCompare demo
                      legacy     \(endpoints.legacy)   the Python monolith: fixture data, recorded latencies
                      candidate  \(endpoints.candidate)   the Go rewrite: same data, a few regressions, faster
                      proxy      \(proxy)   tapcompare serve, sample rate 1.0, rules: \(rules ?? "none")
                      traffic    \(records.count) requests from \(options.fixture)

                    """)
                let result: DemoTrafficDriver.Result
                do {
                    result = try await DemoTrafficDriver(target: proxy, concurrency: options.concurrency).drive(records)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                // Graceful shutdown waits for candidate calls, drains the comparison stage, flushes the capture
                // and the ledger: afterwards every comparison is stored.
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            }
        }

        let captured = (try? CaptureFile.read(path: options.capture)) ?? []
        let comparator = Comparator(ruleSet: ruleSet)
        var summary = ReplaySummary()
        for (index, record) in captured.enumerated() {
            summary.add(comparator.compare(try record.exchange()), captureIndex: index, uri: record.request.uri)
        }
        return Outcome(summary: summary, traffic: traffic, captured: captured.count)
    }
}
