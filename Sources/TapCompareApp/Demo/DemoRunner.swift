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
import TapCompareReview
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
        /// The capture whose traffic is served and driven. Default `nil`: the copy of
        /// `fixtures/comments.capture.jsonl` built into the binary (``DemoBuiltIns``).
        public var fixture: String?
        /// Where comparisons are recorded. Default `sqlite:tapcompare.sqlite`.
        public var ledger: String
        /// The diff-rules directory (no rules when it does not exist). Default `nil`: the copy of
        /// `diff-rules/comments.yml` built into the binary (``DemoBuiltIns``).
        public var rules: String?
        /// The services' latencies. Default: as recorded for legacy, faster for the candidate.
        public var latency: DemoLatency
        /// Where the proxy's capture of the demo traffic is written. Default `tapcompare-demo.capture.jsonl`.
        public var capture: String
        /// Requests sent at once. Default `8`.
        public var concurrency: Int
        /// The ledger's spool directory. Default: the ledger's default, `tapcompare-spool`.
        public var spoolDirectory: String?
        /// Where the HTML report of the demo run is written. Default `tapcompare-demo-report.html`.
        public var htmlReport: String
        /// Where the services' comment stores are created afresh: `legacy.sqlite` (legacy's) and `sister.sqlite`
        /// (the candidate's sister store), read by the store checks. Default `tapcompare-demo-stores`.
        public var storeDirectory: String
        /// For tests: how many times the defaults the demo's timeouts may take (the proxy's connect timeout to the
        /// demo services, the traffic's connect and request timeouts), for builds several times slower. Default 1.
        var timeoutScale = 1

        public init(
            fixture: String? = nil,
            ledger: String = "sqlite:tapcompare.sqlite",
            rules: String? = nil,
            latency: DemoLatency = DemoLatency(),
            capture: String = "tapcompare-demo.capture.jsonl",
            concurrency: Int = 8,
            spoolDirectory: String? = nil,
            htmlReport: String = "tapcompare-demo-report.html",
            storeDirectory: String = "tapcompare-demo-stores"
        ) {
            self.storeDirectory = storeDirectory
            self.htmlReport = htmlReport
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
        /// When the demo traffic started: the report covers the ledger from then on.
        public var startedAt: Date
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
        var text = "\n"
        // The report is the one `tapcompare report` prints, read back from the ledger for the demo's window.
        let (table, html, report) = try await Self.report(ledger: self.options.ledger, since: outcome.startedAt, logger: self.logger)
        text += table
        text += "\n" + DemoStoreChecks.summary(report)
        var wroteHTML = false
        do {
            try html.write(toFile: self.options.htmlReport, atomically: true, encoding: .utf8)
            wroteHTML = true
        } catch {
            text += "(the HTML report could not be written to \(self.options.htmlReport): \(error.localizedDescription))\n"
        }
        text += "\nclient traffic: \(outcome.traffic.sent) requests through the proxy (\(outcome.traffic.summary))\n"
        text += "compared: \(s.judged) mirrored requests — \(s.matched) matched, \(s.mismatched) with regressions, \(s.noiseOnly) noise only, "
        text += "\(s.candidateErrors + s.candidateTimeouts) candidate errors or timeouts; of the writes only \(DemoCommentService.writeRoute) "
        text += "is mirrored (mirror_writes: true), its record checked in \(self.options.storeDirectory)/\(DemoServers.legacyStoreFile) and \(DemoServers.candidateStoreFile)\n"
        let p = s.latencyPercentiles
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f ms", $0) } ?? "–" }
        text += "latency p50/p99: legacy \(ms(p.legacyP50)) / \(ms(p.legacyP99)), candidate \(ms(p.candidateP50)) / \(ms(p.candidateP99))\n"
        text += "ledger:      \(self.options.ledger)   (tapcompare report --ledger \(self.options.ledger))\n"
        if wroteHTML { text += "HTML report: \(URL(fileURLWithPath: self.options.htmlReport).path)\n" }
        text += "capture:     \(self.options.capture) (\(outcome.captured) exchanges) — replay it in CI with\n"
        text += "             tapcompare replay \(self.options.capture) --candidate URL --junit report.xml\n"
        self.output(text)
        return 0
    }

    /// The ledger's report from `since` on, as the terminal table, as one self-contained HTML page, and as data.
    static func report(ledger: String, since: Date, logger: Logger) async throws -> (table: String, html: String, report: Report) {
        let url = try LedgerURL(parsing: ledger)
        return try await LedgerReaders.withReader(url: url, logger: logger) { database in
            let source = LedgerReportSource(reader: database, ledgerDescription: url.description)
            let report = try await source.report(ReportQuery(from: since))
            let table = try await ReportFormat.table.render(report, source: source, color: false)
            let html = try await ReportFormat.html.render(report, source: source, color: false)
            return (table, html, report)
        }
    }

    /// Starts everything, drives the traffic, shuts down cleanly and summarizes.
    public func execute() async throws -> Outcome {
        let records = try self.options.fixture.map { try CaptureFile.read(path: $0) } ?? DemoBuiltIns.records()
        let rules: String?
        let rulesName: String
        if let path = self.options.rules {
            var isDirectory: ObjCBool = false
            rules = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : nil
            rulesName = rules ?? "none"
        } else {
            rules = try DemoBuiltIns.writeRules()
            rulesName = "\(DemoBuiltIns.rulesFileName) (built in)"
        }
        defer {
            if self.options.rules == nil, let rules { try? FileManager.default.removeItem(atPath: rules) }
        }
        let ruleSet = try rules.map { try RuleSetLoader.load(directory: $0) } ?? .empty
        let options = self.options
        let logger = self.logger
        let output = self.output
        try? FileManager.default.removeItem(atPath: options.capture)
        // Whole seconds: the report's window starts at the second the demo started, so nothing of it is cut off.
        let startedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

        let traffic = try await DemoServers.withRunning(
            store: self.store, latency: options.latency, logger: logger, storeDirectory: options.storeDirectory
        ) { endpoints in
            var configuration = ServeConfiguration()
            configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.legacy = try UpstreamURL(parsing: endpoints.legacy)
            configuration.candidate = try UpstreamURL(parsing: endpoints.candidate)
            configuration.sampleRate = 1.0
            configuration.rules = rules
            configuration.comparison.versionHeader = "X-Version"
            configuration.ledger.url = try LedgerURL(parsing: options.ledger)
            if let spool = options.spoolDirectory { configuration.ledger.spoolDirectory = spool }
            configuration.admin.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.capture.path = options.capture
            configuration.capture.sampleRate = 1.0
            configuration.shutdownGrace = .seconds(10)
            configuration.upstream.connectTimeout *= options.timeoutScale
            if let stores = endpoints.stores { try DemoStoreChecks.configure(&configuration, legacy: stores.legacy, candidate: stores.candidate) }
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
                      proxy      \(proxy)   tapcompare serve, sample rate 1.0, rules: \(rulesName)
                      traffic    \(records.count) requests from \(options.fixture ?? DemoBuiltIns.fixtureName)

                    """)
                let result: DemoTrafficDriver.Result
                do {
                    let driver = DemoTrafficDriver(
                        target: proxy, concurrency: options.concurrency,
                        connectTimeout: options.timeoutScale * DemoTrafficDriver.defaultConnectTimeout,
                        timeout: options.timeoutScale * DemoTrafficDriver.defaultTimeout
                    )
                    result = try await driver.drive(records)
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
        return Outcome(startedAt: startedAt, summary: summary, traffic: traffic, captured: captured.count)
    }
}
