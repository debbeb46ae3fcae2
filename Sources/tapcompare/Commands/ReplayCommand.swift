import ArgumentParser
import Foundation
import Logging
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareMirroring
import TapCompareApp
import TapCompareStoreChecks
import UnixSignals

/// `tapcompare replay`: replays captured traffic against a candidate in CI and gives a verdict.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay captured traffic against a candidate, compare with the diff rules, and exit 0 (pass), 1 (too many mismatches) or 2 (could not judge).",
        discussion: """
            Each captured request is sent to the candidate and its response compared, with the same engine and \
            rules as `serve`, against the recorded legacy response (or a live legacy with --legacy). Captured \
            writes (POST, PUT, PATCH, DELETE, and gRPC calls that --config's grpc.read_methods does not name, \
            even on a route with mirror_writes) are skipped unless --include-writes is given; then they carry \
            `X-Tap-Compare: shadow` (--config's mirror.shadow_header) and go to a live legacy once. Every comparison is recorded in the ledger with the run's id. With --config, \
            the stores a replayed write lands in are checked as `serve` checks them (`stores:` and each route's \
            `verify.stores:`), and those comparisons count in the verdict too.

            As load: by default requests go as fast as --concurrency allows, once (a CI gate). --speed N replays \
            at N times the recorded pace (the capture's own gaps between requests), --rate R at R requests per \
            second; either way each request is sent at its scheduled time whether or not earlier ones answered \
            (open loop), and one that finds every --concurrency slot taken starts late and is counted. --loop \
            repeats the capture until interrupted (Ctrl-C ends it with the summary), --duration D until D has \
            passed. Latencies (p50/p90/p99/p99.9/max) are reported as service time and corrected for coordinated \
            omission (from each request's scheduled time), with the achieved and target rates.

            For old captures: --shift-time moves timestamps in the request (body:$.json.path, query:NAME, \
            header:NAME; RFC 3339 text, epoch seconds/milliseconds or an HTTP date, format kept) forward by the capture's age, \
            and --resign-jwt KEYFILE re-signs `Authorization: Bearer` tokens (HS256 secret, or RS256 with a PEM \
            RSA private key) with iat/nbf/exp moved to now. Only the sent request changes; the key and the \
            tokens are never logged or stored.
            """
    )

    @Argument(help: "Capture files (JSON Lines), e.g. fixtures/comments.capture.jsonl or captures/traffic.jsonl*.")
    var captures: [String] = []

    @Option(help: "The candidate under test, e.g. http://127.0.0.1:8081.", transform: ReplayArgument.target("--candidate"))
    var candidate: ReplayArgument.Parsed<ReplayTarget>?

    @Option(help: "Compare against a live legacy at this URL instead of the recorded responses.", transform: ReplayArgument.target("--legacy"))
    var legacy: ReplayArgument.Parsed<ReplayTarget>?

    @Option(help: "With an https candidate: http1 (default) or http2, h2 offered by ALPN (an h2c:// candidate is HTTP/2 already).")
    var candidateProtocol: String?

    @Option(help: "With an https --legacy: http1 (default) or http2, h2 offered by ALPN (an h2c:// legacy is HTTP/2 already).")
    var legacyProtocol: String?

    @Option(help: "With an https candidate: a PEM file of CA certificates trusted instead of the system store.")
    var candidateCaFile: String?

    @Flag(help: "With an https candidate: accept any certificate (staging only).")
    var candidateInsecure = false

    @Option(help: "With an https --legacy: a PEM file of CA certificates trusted instead of the system store.")
    var legacyCaFile: String?

    @Flag(help: "With an https --legacy: accept any certificate (staging only).")
    var legacyInsecure = false

    @Flag(help: "With --legacy: send each read to legacy twice; where legacy disagrees with itself, a discrepancy is noise.")
    var baseline = false

    @Flag(help: "Do not learn noise from repeated reads in the capture (see --noise-min-share).")
    var noLearnNoise = false

    @Option(
        help: "Learned noise: a field that differs between two captured answers to the same read in at least this share of a route's pairs is noise (default 0.5).",
        transform: ReplayArgument.number(where: { $0 > 0 && $0 <= 1 }, else: { "--noise-min-share '\($0)' must be a fraction above 0 and at most 1, e.g. 0.5" })
    )
    var noiseMinShare: ReplayArgument.Parsed<Double>?

    @Option(
        help: "Learned noise: pairs of repeated reads a route needs before anything is learned (default 20).",
        transform: ReplayArgument.wholeNumber(in: 1...1_000_000, else: { "--noise-min-samples '\($0)' must be a whole number from 1 to 1000000" })
    )
    var noiseMinSamples: ReplayArgument.Parsed<Int>?

    @Option(
        help: "Learned noise: the longest time between two captures of one read for them to count as a pair (default 10s).",
        transform: ReplayArgument.duration("--noise-pair-window", example: "10s or 500ms")
    )
    var noisePairWindow: ReplayArgument.Parsed<Duration>?

    @Option(help: "The diff-rules directory. Default: the --config file's rules, else diff-rules when it exists.")
    var rules: String?

    @Option(help: "A serve configuration file whose stores: and routes' verify.stores: are checked after each replayed write (needs --include-writes).")
    var config: String?

    @Option(help: "The ledger: sqlite:PATH or postgres://user:pass@host:port/db. Default: sqlite:tapcompare.sqlite.")
    var ledger: String?

    @Option(
        help: "Requests in flight at once (default 16; 256 with --speed or --rate). A paced request that finds them all taken starts late and is counted.",
        transform: ReplayArgument.wholeNumber(in: 1...10_000, else: { "--concurrency '\($0)' must be a whole number from 1 to 10000" })
    )
    var concurrency: ReplayArgument.Parsed<Int>?

    @Option(
        help: "Replay at N times the recorded pace, keeping the capture's gaps between requests, e.g. 10 (default: as fast as possible).",
        transform: ReplayArgument.number(where: { $0 > 0 && $0.isFinite }, else: { "--speed '\($0)' must be a number above 0, e.g. 1 for the recorded pace or 10 for ten times it" })
    )
    var speed: ReplayArgument.Parsed<Double>?

    @Option(
        help: "Send R requests per second, evenly spaced, e.g. 200 (default: as fast as possible).",
        transform: ReplayArgument.number(where: { $0 > 0 && $0.isFinite }, else: { "--rate '\($0)' must be a number of requests per second above 0, e.g. --rate 200" })
    )
    var rate: ReplayArgument.Parsed<Double>?

    @Flag(help: "Go through the capture again and again until interrupted (Ctrl-C ends it with the summary) or --duration has passed.")
    var loop = false

    @Option(help: "Repeat the capture until this much time has passed, e.g. 30s or 10m (implies --loop).", transform: ReplayArgument.duration("--duration", example: "30s or 10m"))
    var duration: ReplayArgument.Parsed<Duration>?

    @Option(
        name: .customLong("shift-time"),
        help: "A request timestamp moved forward by the capture's age: body:$.json.path, query:NAME or header:NAME (repeatable).",
        transform: ReplayArgument.timeShift
    )
    var shiftTimes: [ReplayArgument.Parsed<ReplayTimeShift>] = []

    @Option(name: .customLong("resign-jwt"), help: "Re-sign Authorization: Bearer tokens with this key file (an HS256 secret or a PEM RSA private key for RS256), iat/nbf/exp moved to now.")
    var resignJWT: String?

    @Option(
        help: "Largest failing fraction that still passes, 0…1 (default 0).",
        transform: ReplayArgument.number(where: { (0...1).contains($0) }, else: { "--max-mismatch-rate '\($0)' must be a fraction from 0 to 1, e.g. 0.01 for 1%" })
    )
    var maxMismatchRate: ReplayArgument.Parsed<Double>?

    @Option(help: "Write JUnit XML here (one test case per route).")
    var junit: String?

    @Option(help: "Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")
    var markdown: String?

    @Flag(help: "Replay captured writes too, marked with the shadow header.")
    var includeWrites = false

    @Option(name: .customLong("header"), help: "NAME: VALUE set on every request, replacing the captured one (repeatable).", transform: ReplayArgument.header)
    var headers: [ReplayArgument.Parsed<ReplayHeader>] = []

    @Option(help: "How long one call may take (default 5s).", transform: ReplayArgument.duration("--timeout", example: "5s or 500ms"))
    var timeout: ReplayArgument.Parsed<Duration>?

    @Option(help: "How long opening a connection may take, TLS handshake included (default 2s).", transform: ReplayArgument.duration("--connect-timeout", example: "2s or 500ms"))
    var connectTimeout: ReplayArgument.Parsed<Duration>?

    @Option(help: "The candidate's response header naming the build that answered, e.g. X-Version: recorded with each comparison (default: the --config file's comparison.version_header, else none).")
    var versionHeader: String?

    @Option(help: "The run's id in the ledger (default: a new UUIDv7).")
    var runID: String?

    @Flag(help: "No progress output.")
    var quiet = false

    func run() async throws {
        let started: ReplayRun
        let ledgerURL = self.ledger ?? "sqlite:tapcompare.sqlite"
        let comparator: any ReplayComparing
        var configuredLogger = Logger(label: "tapcompare.replay")
        configuredLogger.logLevel = .warning
        let logger = configuredLogger
        var storeChecks: StoreCheckService?
        do {
            var run = try self.makeRun()
            let serveConfiguration = try self.config.map { path throws(ReplayError) in try Self.loadConfiguration(path) }
            // gRPC answers are compared by the --config file's grpc: section (descriptor set, trailers), as serve
            // compares them, and the calls its read_methods name are replayed as reads.
            comparator = try ReplayComparators.make(
                rulesDirectory: self.rules ?? serveConfiguration?.rules ?? self.defaultRulesDirectory(),
                versionHeader: try self.versionHeaderName() ?? serveConfiguration?.comparison.versionHeader,
                grpc: serveConfiguration.map { .init(descriptors: $0.grpcDescriptors, configuration: $0.grpc) } ?? .init()
            )
            run.configuration.grpcMethods = serveConfiguration?.grpcMethodPolicy
            // Replayed writes are marked as `serve` marks mirrored ones: its `mirror.shadow_header`, value `shadow`.
            if let name = serveConfiguration?.mirror.shadowHeader { run.configuration.shadowHeader.name = name }
            started = run
            if let serveConfiguration, serveConfiguration.storeChecks.isEnabled {
                guard self.includeWrites else {
                    throw ReplayError.badArgument("--config \(self.config ?? ""): its store checks follow writes; add --include-writes to replay them")
                }
                do {
                    storeChecks = try StoreCheckService(configuration: serveConfiguration.storeChecks, logger: logger)
                } catch {
                    throw ReplayError.badArgument("--config \(self.config ?? ""): stores: \(error)")
                }
            }
        } catch {
            throw Self.fail("\(error)")
        }
        let followUp = storeChecks
        let result: ReplayRun.Result
        let stop = ReplayStopSignal()
        do {
            result = try await withThrowingTaskGroup(of: ReplayRun.Result?.self) { group in
                // The store checks' connections (PostgreSQL pools) live as long as the replay.
                if let followUp { group.addTask { try await followUp.run(); return nil } }
                // The first SIGINT or SIGTERM stops scheduling: what is in flight is answered and the summary and
                // reports are written (how a --loop ends). A second one exits at once.
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        if stop.isStopped { Foundation.exit(130) }
                        FileHandle.standardError.write(Data("\ntapcompare replay: stopping; waiting for the requests in flight (again to quit now)\n".utf8))
                        stop.stop()
                    }
                    return nil
                }
                let result = try await ReplayLedger.withSink(url: ledgerURL, logger: logger) { sink, isBusy in
                    try await started.run(comparator: comparator, sink: sink, sinkIsBusy: isBusy, followUp: followUp, stop: stop, logger: logger)
                }
                group.cancelAll()
                return result
            }
        } catch {
            throw Self.fail("\(error)")
        }
        print(ReplayRun.terminalSummary(result, runID: started.configuration.runID), terminator: "")
        let line = "tapcompare replay: \(result.verdict.reason)"
        if result.verdict.exitCode == 0 {
            print(line)
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
            throw ExitCode(result.verdict.exitCode)
        }
    }

    /// The serve configuration of `--config`, validated as `serve` validates it.
    private static func loadConfiguration(_ path: String) throws(ReplayError) -> ServeConfiguration {
        do {
            return try ConfigurationLoader.load(file: path)
        } catch {
            throw .badArgument("--config \(path):\n\(error.description)")
        }
    }

    /// `--version-header`, checked to be a header name.
    private func versionHeaderName() throws(ReplayError) -> String? {
        guard let name = self.versionHeader else { return nil }
        guard ConfigurationLoader.isHeaderName(name) else {
            throw .badArgument("--version-header '\(name.prefix(80))' is not a header name; write the candidate's response header that names its build, e.g. --version-header X-Version")
        }
        return name
    }

    private func defaultRulesDirectory() -> String? {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: "diff-rules", isDirectory: &isDirectory) && isDirectory.boolValue ? "diff-rules" : nil
    }

    /// Every flag checked before anything is sent, in a fixed order; a mistake names the flag and the fix (exit 2).
    private func makeRun() throws(ReplayError) -> ReplayRun {
        let (candidate, legacy) = try self.targets()
        var configuration = ReplayConfiguration(candidate: candidate, legacy: legacy, runID: self.runID ?? UUID.v7().lowercasedText)
        try self.applyLoad(to: &configuration)
        for shift in self.shiftTimes {
            configuration.rewrite.timeShifts.append(try shift.get())
        }
        if let path = self.resignJWT {
            configuration.rewrite.jwtSigner = try ReplayJWTSigner(keyFile: path)
        }
        try self.applyVerdictAndTimeouts(to: &configuration)
        configuration.learnNoise = try self.noiseLearning()
        for header in self.headers {
            let header = try header.get()
            configuration.headerOverrides.append((header.name, header.value))
        }
        return ReplayRun(
            configuration: configuration, captures: self.captures,
            junitPath: self.junit, markdownPath: self.markdown, showProgress: !self.quiet
        )
    }

    /// `--candidate` (required) and `--legacy`, each with its TLS setting.
    private func targets() throws(ReplayError) -> (candidate: ReplayTarget, legacy: ReplayTarget?) {
        guard let candidateArgument = self.candidate else {
            throw .badArgument("--candidate is required: the URL of the service under test, e.g. --candidate http://127.0.0.1:8081")
        }
        var candidate = try candidateArgument.get()
        candidate.tls = try Self.tls(caFile: self.candidateCaFile, insecure: self.candidateInsecure, side: "candidate")
        if let text = self.candidateProtocol { try candidate.setProtocol(text, option: "--candidate-protocol") }
        var legacy = try self.legacy?.get()
        if legacy == nil, self.legacyCaFile != nil || self.legacyInsecure || self.legacyProtocol != nil {
            throw .badArgument("--legacy-ca-file, --legacy-insecure and --legacy-protocol need --legacy URL")
        }
        if let text = self.legacyProtocol { try legacy?.setProtocol(text, option: "--legacy-protocol") }
        legacy?.tls = try Self.tls(caFile: self.legacyCaFile, insecure: self.legacyInsecure, side: "legacy")
        return (candidate, legacy)
    }

    /// The load: `--speed` or `--rate`, `--concurrency`, `--loop`, `--duration`.
    private func applyLoad(to configuration: inout ReplayConfiguration) throws(ReplayError) {
        if self.speed != nil, self.rate != nil {
            throw .badArgument("--speed and --rate both set the pace; keep one (--speed N for N times the recorded pace, --rate R for R requests per second)")
        }
        if let speed = try self.speed?.get() {
            configuration.pacing = .speed(speed)
            configuration.concurrency = ReplayConfiguration.pacedConcurrency
        }
        if let rate = try self.rate?.get() {
            configuration.pacing = .rate(rate)
            configuration.concurrency = ReplayConfiguration.pacedConcurrency
        }
        if let concurrency = try self.concurrency?.get() { configuration.concurrency = concurrency }
        configuration.loops = self.loop
        if let duration = try self.duration?.get() { configuration.duration = duration }
    }

    /// `--max-mismatch-rate`, `--timeout`, `--connect-timeout`, `--include-writes` and `--baseline`.
    private func applyVerdictAndTimeouts(to configuration: inout ReplayConfiguration) throws(ReplayError) {
        if let rate = try self.maxMismatchRate?.get() { configuration.maxMismatchRate = rate }
        if let timeout = try self.timeout?.get() { configuration.timeout = timeout }
        if let connectTimeout = try self.connectTimeout?.get() { configuration.connectTimeout = connectTimeout }
        configuration.includeWrites = self.includeWrites
        if self.baseline {
            guard configuration.legacy != nil else {
                throw .badArgument("--baseline needs --legacy: the second answer comes from a live legacy")
            }
            configuration.baseline = true
        }
    }

    /// Noise learned from repeated reads in the capture: `nil` with `--no-learn-noise`, else the `--noise-…` bounds.
    private func noiseLearning() throws(ReplayError) -> CaptureNoiseLearner.Configuration? {
        if self.noLearnNoise {
            guard self.noiseMinShare == nil, self.noiseMinSamples == nil, self.noisePairWindow == nil else {
                throw .badArgument("--no-learn-noise turns learning off; drop --noise-min-share, --noise-min-samples and --noise-pair-window")
            }
            return nil
        }
        var learning = CaptureNoiseLearner.Configuration()
        if let share = try self.noiseMinShare?.get() { learning.model.minShare = share }
        if let samples = try self.noiseMinSamples?.get() {
            learning.model.minSamples = samples
            learning.model.window = max(learning.model.window, samples)
        }
        if let window = try self.noisePairWindow?.get() { learning.pairWindow = window }
        return learning
    }

    /// The TLS setting of one side, its CA file read now so a wrong path fails before anything is sent.
    private static func tls(caFile: String?, insecure: Bool, side: String) throws(ReplayError) -> UpstreamTLS {
        if caFile != nil, insecure {
            throw .badArgument("--\(side)-ca-file and --\(side)-insecure contradict each other; keep one")
        }
        let tls = UpstreamTLS(caFile: caFile, insecure: insecure)
        do {
            _ = try tls.makeClientConfiguration()
        } catch {
            throw .badArgument("--\(side)-ca-file \(error.description)")
        }
        return tls
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("tapcompare: \(message)\n".utf8))
        return ExitCode(2)
    }
}
