import Foundation
import Logging
import TapCompareCapture
import TapCompareCore

/// `tapcompare demo` from start to report.
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

        public init(
            fixture: String = "fixtures/comments.capture.jsonl",
            ledger: String = "sqlite:tapcompare.sqlite",
            rules: String = "diff-rules",
            latency: DemoLatency = DemoLatency()
        ) {
            self.fixture = fixture
            self.ledger = ledger
            self.rules = rules
            self.latency = latency
        }
    }

    public let options: Options
    public let store: DemoFixtureStore
    public let logger: Logger
    private let output: @Sendable (String) -> Void

    public init(options: Options, store: DemoFixtureStore, logger: Logger, output: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.options = options
        self.store = store
        self.logger = logger
        self.output = output
    }

    /// Runs the demo; returns the exit status (0 when the demo ran, whatever the candidate's mismatches).
    public func run() async throws -> Int32 {
        let records = try CaptureFile.read(path: self.options.fixture)
        var isDirectory: ObjCBool = false
        let rules = FileManager.default.fileExists(atPath: self.options.rules, isDirectory: &isDirectory) && isDirectory.boolValue
            ? self.options.rules : nil
        let comparator = try ReplayComparators.make(rulesDirectory: rules)
        let runID = "demo-" + UUID.v7().uuidString.lowercased()
        let output = self.output
        let options = self.options
        let logger = self.logger
        return try await DemoServers.withRunning(store: self.store, latency: self.options.latency, logger: self.logger) { endpoints in
            output("""
                TapCompare demo
                  legacy     \(endpoints.legacy)   (the Python monolith: fixture data, recorded latencies)
                  candidate  \(endpoints.candidate)   (the Go rewrite: same data, a few regressions, faster)
                  traffic    \(records.count) captured exchanges from \(options.fixture)
                  rules      \(rules ?? "none")
                  ledger     \(options.ledger)

                """)
            var configuration = ReplayConfiguration(
                candidate: try ReplayTarget(parsing: endpoints.candidate, flag: "--candidate"),
                legacy: try ReplayTarget(parsing: endpoints.legacy, flag: "--legacy"),
                concurrency: 16,
                runID: runID
            )
            configuration.includeWrites = false
            let run = ReplayRun(configuration: configuration, captures: [options.fixture], showProgress: true)
            let result = try await ReplayLedger.withSink(url: options.ledger, logger: logger) { sink in
                try await run.run(comparator: comparator, sink: sink, logger: logger)
            }
            output("\n" + ReplayRun.terminalSummary(result, runID: runID))
            output("verdict: \(result.verdict.reason)\n")
            output("comparisons recorded in \(options.ledger) with run id \(runID)\n")
            return 0
        }
    }
}
