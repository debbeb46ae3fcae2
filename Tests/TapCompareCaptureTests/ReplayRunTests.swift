import Foundation
import Logging
import ServiceLifecycle
import TapCompareApp
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

@Suite struct ReplayRunTests {
    static let fixture = TestPaths.fixture("comments.capture.jsonl")

    static func run(captures: [String], candidate: String, junit: String? = nil, markdown: String? = nil) async throws -> ReplayRun.Result {
        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: candidate, flag: "--candidate"), concurrency: 4, runID: "run-1"
        ).withTestTimeouts()
        let run = ReplayRun(configuration: configuration, captures: captures, junitPath: junit, markdownPath: markdown, showProgress: false)
        return try await run.run(comparator: ByteComparator(), sink: nil, logger: Logger(label: "test"))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func writesTheReportFilesAndReadsSeveralCaptures() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let records = try CaptureFile.read(path: Self.fixture)
        let a = dir.appendingPathComponent("a.jsonl").path
        let b = dir.appendingPathComponent("b.jsonl").path
        try CaptureFile.write(Array(records.prefix(100)), path: a)
        try CaptureFile.write(Array(records.dropFirst(100)), path: b)
        let junit = dir.appendingPathComponent("junit.xml").path
        let markdown = dir.appendingPathComponent("summary.md").path
        let result = try await DemoServers.withRunning(store: try DemoFixtureStore(records: records), latency: DemoLatency(scale: 0)) { endpoints in
            try await Self.run(captures: [a, b], candidate: endpoints.candidate, junit: junit, markdown: markdown)
        }
        #expect(result.summary.total == records.count)
        #expect(result.verdict.exitCode == 1)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.hasPrefix("<?xml"))
        let md = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(md.contains("run `run-1`"))
    }

    @Test func unreadableCapturesAndUnwritableReportsAreErrorsNamingTheFile() async throws {
        await #expect {
            try await Self.run(captures: ["/nonexistent/traffic.jsonl"], candidate: "http://127.0.0.1:9")
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/traffic.jsonl: cannot read the capture file")
        }
        let dir = try TestPaths.temporaryDirectory()
        let bad = dir.appendingPathComponent("bad.jsonl").path
        try Data("{\"version\":1}\n".utf8).write(to: URL(fileURLWithPath: bad))
        await #expect {
            try await Self.run(captures: [bad], candidate: "http://127.0.0.1:9")
        } throws: { error in
            "\(error)".hasPrefix("\(bad):1: missing key")
        }
        await #expect {
            try await Self.run(captures: [], candidate: "http://127.0.0.1:9")
        } throws: { error in
            "\(error)".hasPrefix("no capture file given")
        }
    }

    /// Found in review: a capture whose last record a failed write (a full disk, a crash) cut short was refused
    /// whole by `replay`; it replays the records before it and says it skipped the last line.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aLastLineCutShortIsSkippedAndSaidTheRestIsReplayed() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let records = try CaptureFile.read(path: Self.fixture)
        let path = dir.appendingPathComponent("traffic.jsonl").path
        try CaptureFile.write(Array(records.prefix(20)), path: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: try CaptureCodec().encode(records[20]).prefix(57))
        try handle.close()
        let markdown = dir.appendingPathComponent("summary.md").path
        let result = try await DemoServers.withRunning(store: try DemoFixtureStore(records: records), latency: DemoLatency(scale: 0)) { endpoints in
            try await Self.run(captures: [path], candidate: endpoints.candidate, markdown: markdown)
        }
        #expect(result.summary.total == 20)
        #expect(result.summary.truncatedCaptureEnds.map { "\($0.file):\($0.line) \($0.bytes)" } == ["\(path):21 57"])
        let terminal = ReplayRun.terminalSummary(result, runID: nil)
        #expect(terminal.contains("\(path):21: the last line is cut short (57 bytes and no newline: what a write that failed, e.g. on a full disk, left of a record); skipped"), "\(terminal)")
        #expect(try String(contentsOfFile: markdown, encoding: .utf8).contains("Skipped `\(path):21`: the last line is cut short"))
        // What reads a capture whole says where and why, and how to go on.
        let strict = #expect(throws: CaptureError.self) { try CaptureFile.read(path: path) }
        #expect(strict?.description.hasPrefix("\(path):21: the last line is cut short (57 bytes and no newline") == true, "\(strict?.description ?? "")")
    }

    /// What the writer left before the fix: the part of a record that fit, the next record appended on the same
    /// line, more lines after. That is damage inside the file, not a cut-short end: refused, naming file and line.
    @Test func aDamagedLineWithLinesAfterItStillRefusesTheFileNamingTheLine() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let records = try CaptureFile.read(path: Self.fixture)
        let codec = CaptureCodec()
        var data = Data()
        for record in records.prefix(3) { data.append(try codec.encode(record)); data.append(UInt8(ascii: "\n")) }
        data.append(try codec.encode(records[3]).prefix(57))
        for record in records[4...5] { data.append(try codec.encode(record)); data.append(UInt8(ascii: "\n")) }
        let path = dir.appendingPathComponent("damaged.jsonl").path
        try data.write(to: URL(fileURLWithPath: path))
        await #expect {
            try await Self.run(captures: [path], candidate: "http://127.0.0.1:9")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("\(path):4: not a capture record: the line is not JSON")
                && text.hasSuffix("the file is damaged here (a record cut short by a write that failed, with lines after it?): remove or repair line 4")
        }
    }

    @Test func progressIsAPlainLineOffATerminal() {
        let progress = ReplayProgress(total: 10, isTerminal: false, output: { _ in })
        #expect(progress.line().hasPrefix("replay: 0/10   0%"))
        let bar = ReplayProgress(total: 10, isTerminal: true, output: { _ in })
        #expect(bar.line().hasPrefix("[------------------------------] 0/10"))
        #expect(bar.line().contains("mismatches 0"))
    }

    @Test func progressOfALoopHasNoTotal() {
        let progress = ReplayProgress(total: nil, isTerminal: false, output: { _ in })
        #expect(progress.line().hasPrefix("replay: 0 done "))
        #expect(progress.line().hasSuffix("mismatches 0"))
        #expect(!progress.line().contains("ETA"))
    }
}

@Suite struct CaptureWriterLifecycleTests {
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func gracefulShutdownWritesWhatIsQueued() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("t.jsonl").path
        let writer = try CaptureWriter(configuration: CaptureConfiguration(path: path))
        // Queued before the service even starts: shutdown must still write them all.
        for n in 0..<50 { writer.submit(CaptureWriterTests.exchange(n)) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [writer], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(writer.writtenCount == 50)
        #expect(try CaptureFile.read(path: path).map(\.requestID) == (0..<50).map { "req-\($0)" })
        // After shutdown nothing is accepted, and the refusal is counted.
        writer.submit(CaptureWriterTests.exchange(99))
        #expect(writer.droppedCount(.shuttingDown) == 1)
    }
}
