import Foundation
import Logging
import TapCompareComparison
import TapCompareCore

/// One `tapcompare replay` from files to verdict: reads the captures, replays, writes the reports, judges.
///
/// The command line only parses flags into this; tests drive it directly.
public struct ReplayRun: Sendable {
    public var configuration: ReplayConfiguration
    public var captures: [String]
    /// `--junit FILE`. Default: none.
    public var junitPath: String?
    /// `--markdown FILE`. Default: none.
    public var markdownPath: String?
    /// Whether to show progress on standard error. Default `true`.
    public var showProgress: Bool

    public init(configuration: ReplayConfiguration, captures: [String], junitPath: String? = nil, markdownPath: String? = nil, showProgress: Bool = true) {
        self.configuration = configuration
        self.captures = captures
        self.junitPath = junitPath
        self.markdownPath = markdownPath
        self.showProgress = showProgress
    }

    public struct Result: Sendable {
        public var summary: ReplaySummary
        public var verdict: ReplayVerdict
        /// What was learned from the capture's repeated reads; `nil` when learning was off.
        public var learnedNoise: CaptureNoiseLearner.Outcome?

        public init(summary: ReplaySummary, verdict: ReplayVerdict, learnedNoise: CaptureNoiseLearner.Outcome? = nil) {
            self.summary = summary
            self.verdict = verdict
            self.learnedNoise = learnedNoise
        }
    }

    /// Reads every capture file, in order, and the last lines cut short that were skipped.
    ///
    /// A file whose last line a write that failed cut short (a full disk) is replayed without it: the run says
    /// so (``ReplaySummary/truncatedCaptureEnds``), and a damaged line anywhere else still refuses the file.
    /// - Throws: ``ReplayError`` for a missing or malformed file, naming the file and line.
    public static func read(_ paths: [String]) throws(ReplayError) -> (records: [(record: CaptureRecord, file: String, line: Int)], truncatedEnds: [CaptureTruncatedEnd]) {
        guard !paths.isEmpty else { throw .badArgument("no capture file given; write e.g. tapcompare replay fixtures/comments.capture.jsonl --candidate URL") }
        var all: [(CaptureRecord, String, Int)] = []
        var truncatedEnds: [CaptureTruncatedEnd] = []
        for path in paths {
            do {
                let contents = try CaptureFile.contents(path: path)
                for (record, line) in contents.records { all.append((record, path, line)) }
                if let end = contents.truncatedEnd { truncatedEnds.append(end) }
            } catch {
                throw .unreadableCapture("\(error)")
            }
        }
        return (all, truncatedEnds)
    }

    /// Replays and writes the reports.
    /// - Throws: ``ReplayError`` when a capture cannot be read or a report cannot be written (exit 2).
    /// - Parameters:
    ///   - sink: where comparisons go (the ledger writer), `nil` for none.
    ///   - sinkIsBusy: when it returns `true` no new request starts (the ledger's queue is filling up).
    ///   - followUp: more comparisons after each replayed exchange (the store checks of writes).
    ///   - stop: ends the run early (SIGINT during `--loop`); the reports are still written.
    public func run(
        comparator: any ReplayComparing,
        sink: (any ComparisonRecordSink)?,
        sinkIsBusy: (@Sendable () -> Bool)? = nil,
        followUp: (any ReplayFollowUp)? = nil,
        stop: ReplayStopSignal? = nil,
        logger: Logger
    ) async throws(ReplayError) -> Result {
        let (records, truncatedEnds) = try Self.read(self.captures)
        for end in truncatedEnds {
            logger.warning("capture line cut short, skipped", metadata: ["capture.file": "\(end.file)", "capture.line": "\(end.line)", "capture.bytes": "\(end.bytes)"])
        }
        var replayer = Replayer(configuration: self.configuration, comparator: comparator, sink: sink, sinkIsBusy: sinkIsBusy, logger: logger)
        let items = try replayer.prepare(records)
        let learned = self.configuration.learnNoise.map {
            CaptureNoiseLearner(configuration: $0, comparator: comparator).learn(from: items.filter { $0.skipReason == nil }.map(\.exchange))
        }
        replayer.noiseModel = learned?.model
        replayer.followUp = followUp
        let toSend = items.filter { $0.skipReason == nil }.count
        // A loop has no end to count towards.
        let progress = ReplayProgress(total: self.configuration.loops || self.configuration.duration != nil ? nil : items.count)
        var summary: ReplaySummary
        if self.showProgress, toSend > 0 {
            summary = await withTaskGroup(of: ReplaySummary?.self) { group in
                group.addTask { await progress.report(); return nil }
                let s = await replayer.run(items, progress: progress, stop: stop)
                group.cancelAll()
                return s
            }
        } else {
            summary = await replayer.run(items, progress: progress, stop: stop)
        }
        summary.truncatedCaptureEnds = truncatedEnds
        let candidate = self.configuration.candidate.description
        let verdict = ReplayVerdict.judge(
            summary, candidate: candidate, maxMismatchRate: self.configuration.maxMismatchRate, expected: progress.total
        )
        if let path = self.junitPath {
            try Self.write(JUnitReport.render(summary, candidate: candidate), to: path, flag: "--junit")
        }
        if let path = self.markdownPath {
            let md = MarkdownReport.render(summary, verdict: verdict, candidate: candidate, runID: self.configuration.runID)
            try Self.write(md, to: path, flag: "--markdown")
        }
        return Result(summary: summary, verdict: verdict, learnedNoise: learned)
    }

    static func write(_ text: String, to path: String, flag: String) throws(ReplayError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .reportUnwritable("\(flag) \(path): cannot write the report (\(CaptureFile.reason(error)))")
        }
    }

    /// The lines printed at the end of a run: per-route counts, latencies, then the verdict.
    public static func terminalSummary(_ result: Result, runID: String?) -> String {
        let s = result.summary
        var out = ""
        let width = max(5, s.sortedRoutes.map(\.route.count).max() ?? 5)
        out += "route".padding(toLength: width, withPad: " ", startingAt: 0) + "  judged  matched  mismatched  errors  skipped\n"
        for r in s.sortedRoutes {
            out += r.route.padding(toLength: width, withPad: " ", startingAt: 0)
            out += String(format: "  %6d  %7d  %10d  %6d  %7d\n", r.judged, r.matched, r.mismatched, r.candidateErrors + r.candidateTimeouts, r.skippedTotal)
            for (key, stats) in r.sortedFields.prefix(3) {
                out += "    \(key.field) \(key.kind.rawValue): \(stats.exchanges) exchanges"
                out += " (e.g. legacy \(JUnitReport.clip(stats.example.legacyValue ?? "absent", 40)), candidate \(JUnitReport.clip(stats.example.candidateValue ?? "absent", 40)))\n"
            }
        }
        out += s.load.terminalLines
        if !s.rewrites.isEmpty { out += "rewrites: \(s.rewrites.sentence)\n" }
        if let learned = result.learnedNoise {
            let c = learned.model.configuration
            out += "learned noise: \(learned.pairs) repeated read\(learned.pairs == 1 ? "" : "s") in the capture (min_share \(c.minShare), min_samples \(c.minSamples))"
            let fields = learned.noisyFields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.sorted().joined(separator: ", "))" }
            out += fields.isEmpty ? "; no field classified as noise\n" : ": " + fields.joined(separator: "; ") + "\n"
        }
        for end in s.truncatedCaptureEnds { out += "\(end)\n" }
        if let runID { out += "run id \(runID)\n" }
        return out
    }
}
