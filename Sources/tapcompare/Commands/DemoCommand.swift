import ArgumentParser
import Foundation
import Logging
import TapCompareApp
import TapCompareCapture

/// `tapcompare demo`: the first command a new user runs.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run example legacy and candidate comment services with the proxy in front, drive the fixture traffic through it, and print the report.",
        discussion: """
            Everything runs in this process: the legacy comment service (the fixture data, with its recorded \
            latencies), the candidate (the same data through a few realistic regressions, and faster), and the \
            tap-compare proxy at sample rate 1.0. Comparisons go to the embedded SQLite ledger.

            The write route POST /api/v1/comments is mirrored: each service stores the comment it creates in its \
            own SQLite file (legacy.sqlite, and the candidate's sister store sister.sqlite, under --stores), and \
            after each write the store checks read the record from both and compare them.

            With --services-only, only the two services start; their URLs are printed and they run until \
            interrupted (for trying `serve` or `replay` by hand, and for bench/replay.sh).
            """
    )

    @Option(help: "The capture whose traffic the demo serves and drives (default: the comment-service fixture built into tapcompare).")
    var fixture: String?

    @Option(help: "The ledger the proxy writes to.")
    var ledger = "sqlite:tapcompare.sqlite"

    @Option(help: "The diff-rules directory (default: the example rules built into tapcompare).")
    var rules: String?

    @Option(help: "Where the HTML report of the demo run is written.")
    var html = "tapcompare-demo-report.html"

    @Option(help: "Where the proxy's capture of the demo traffic is written.")
    var capture = "tapcompare-demo.capture.jsonl"

    @Option(help: "Where the services' comment stores (legacy.sqlite, sister.sqlite) are created afresh.")
    var stores = "tapcompare-demo-stores"

    @Flag(help: "Only start the example services, print their URLs and run until interrupted.")
    var servicesOnly = false

    @Option(help: "Port of the legacy service (0: any free port).")
    var legacyPort = 0

    @Option(help: "Port of the candidate service (0: any free port).")
    var candidatePort = 0

    @Option(help: "Multiplier for the services' latencies (0 answers at once).")
    var latencyScale = 1.0

    func run() async throws {
        let store: DemoFixtureStore
        do {
            store = try DemoFixtureStore(records: self.fixture.map { try CaptureFile.read(path: $0) } ?? DemoBuiltIns.records())
        } catch {
            FileHandle.standardError.write(Data("tapcompare: \(error); pass --fixture a capture file, or leave it out for the built-in one\n".utf8))
            throw ExitCode(2)
        }
        var logger = Logger(label: "tapcompare.demo")
        logger.logLevel = .warning
        if self.servicesOnly {
            try await DemoServers.withRunning(
                store: store, latency: DemoLatency(scale: self.latencyScale),
                legacyPort: self.legacyPort, candidatePort: self.candidatePort, logger: logger
            ) { endpoints in
                // Unbuffered: scripts read these lines while the services keep running.
                FileHandle.standardOutput.write(Data("legacy \(endpoints.legacy)\ncandidate \(endpoints.candidate)\n".utf8))
                while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            }
            return
        }
        let options = DemoRunner.Options(
            fixture: self.fixture, ledger: self.ledger, rules: self.rules, latency: DemoLatency(scale: self.latencyScale),
            capture: self.capture, htmlReport: self.html, storeDirectory: self.stores
        )
        let code = try await DemoRunner(options: options, store: store, logger: logger).run()
        if code != 0 { throw ExitCode(code) }
    }
}
