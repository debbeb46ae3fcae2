import Foundation
import TapCompareApp
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// The `tapcompare` binary as a CI job runs it: exit statuses and one-line reasons.
@Suite struct CommandLineTests {
    /// The binary built next to the test bundle (`swift build --build-tests` and `swift test` build both).
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tapcompare").path
    static let fixture = TestPaths.fixture("comments.capture.jsonl")
    static let rules = TestPaths.repositoryRoot.appendingPathComponent("diff-rules").path

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary without blocking a cooperative thread. `started` runs once the process is running (to
    /// signal it, say).
    static func tapcompare(
        _ arguments: [String], in directory: URL, started: (SpawnedProcess) -> Void = { _ in }
    ) async throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the tapcompare binary first: \(binary)")
        let output = try await runToEnd([binary] + arguments, in: directory.path, started: started)
        return Run(status: output.status, stdout: output.standardOutput, stderr: output.standardError)
    }

    @Test("tapcompare --version prints the version and exits 0", .timeLimit(.minutes(TestTiming.minutes(1))))
    func version() async throws {
        let run = try await Self.tapcompare(["--version"], in: try TestPaths.temporaryDirectory())
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == TapCompareVersion.current + "\n")
    }

    @Test("tapcompare demo runs from any directory: its fixture and example rules come with the binary", .timeLimit(.minutes(TestTiming.minutes(2))))
    func demoFromAnyDirectory() async throws {
        // A directory with no fixtures/ and no diff-rules/ in it.
        let dir = try TestPaths.temporaryDirectory()
        let run = try await Self.tapcompare(["demo", "--latency-scale", "0"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("requests from comments.capture.jsonl (built in)"), "\(run.stdout)")
        #expect(run.stdout.contains("rules: comments.yml (built in)"))
        #expect(run.stdout.contains("GET /api/v1/posts/{id}/comments"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tapcompare.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tapcompare-demo-report.html").path))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func replayExitStatuses() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let records = try CaptureFile.read(path: Self.fixture)
        try await DemoServers.withRunning(store: try DemoFixtureStore(records: records), latency: DemoLatency(scale: 0)) { endpoints in
            let common = ["replay", Self.fixture, "--rules", Self.rules, "--quiet", "--ledger", "sqlite:" + dir.appendingPathComponent("l.sqlite").path]

            let pass = try await Self.tapcompare(common + ["--candidate", endpoints.legacy, "--junit", "pass.xml"], in: dir)
            #expect(pass.status == 0, "\(pass.stderr)")
            #expect(pass.stdout.contains("tapcompare replay: passed: 0 of "))
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("pass.xml").path))

            let fail = try await Self.tapcompare(common + ["--candidate", endpoints.candidate, "--markdown", "summary.md"], in: dir)
            #expect(fail.status == 1)
            #expect(fail.stderr.contains("tapcompare replay: failed: "))
            #expect(fail.stdout.contains("$.replies[*].reply_count missing_in_candidate"))
            let md = try String(contentsOf: dir.appendingPathComponent("summary.md"), encoding: .utf8)
            #expect(md.hasPrefix("## TapCompare replay: failed"))

            let tolerated = try await Self.tapcompare(common + ["--candidate", endpoints.candidate, "--max-mismatch-rate", "1"], in: dir)
            #expect(tolerated.status == 0)
        }
        let down = try await Self.tapcompare(["replay", Self.fixture, "--quiet", "--candidate", "http://127.0.0.1:1", "--ledger", "sqlite:d.sqlite"], in: dir)
        #expect(down.status == 2)
        #expect(down.stderr.contains("could not be reached"))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func badArgumentsAndInputsExitTwoWithTheReason() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let cases: [([String], String)] = [
            ([Self.fixture], "--candidate is required"),
            ([Self.fixture, "--candidate", "localhost:8080"], "--candidate 'localhost:8080' is not a URL"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--max-mismatch-rate", "5%"], "--max-mismatch-rate '5%' must be a fraction"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--concurrency", "0"], "--concurrency '0'"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--timeout", "soon"], "--timeout 'soon' is not a duration"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--connect-timeout", "0s"], "--connect-timeout '0s' is not a duration"),
            (["missing.jsonl", "--candidate", "http://127.0.0.1:1"], "missing.jsonl: cannot read the capture file"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--ledger", "mysql://x"], "--ledger"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--noise-min-share", "2"], "--noise-min-share '2' must be a fraction"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--noise-pair-window", "later"], "--noise-pair-window 'later' is not a duration"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--no-learn-noise", "--noise-min-samples", "5"], "--no-learn-noise turns learning off"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--version-header", "X Version"], "--version-header 'X Version' is not a header name"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--rate", "0"], "--rate '0' must be a number of requests per second above 0"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--speed", "0"], "--speed '0' must be a number above 0"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--speed", "2", "--rate", "10"], "--speed and --rate both set the pace; keep one"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--duration", "forever"], "--duration 'forever' is not a duration"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--shift-time", "path:$.at"], "--shift-time 'path:$.at': unknown place 'path'"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--shift-time", "body:created_after"], "must start with '$'"),
            ([Self.fixture, "--candidate", "http://127.0.0.1:1", "--resign-jwt", "missing.key"], "--resign-jwt missing.key: cannot read the key file"),
        ]
        for (arguments, reason) in cases {
            let run = try await Self.tapcompare(["replay"] + arguments, in: dir)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr.contains(reason), "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }
    }

    @Test("replay --loop ends on SIGINT with its summary and the load figures", .timeLimit(.minutes(TestTiming.minutes(1))))
    func loopEndsCleanlyOnInterrupt() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let upstream = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try? await upstream.shutdown() } }
        let arguments = [
            "replay", Self.fixture, "--quiet", "--candidate", upstream.url, "--rate", "100", "--loop",
            "--junit", "load.xml", "--ledger", "sqlite:" + dir.appendingPathComponent("l.sqlite").path,
        ]
        let run = try await Self.tapcompare(arguments, in: dir) { process in
            Task {
                // More requests than one pass holds: the loop went round.
                _ = await upstream.waitUntil(timeout: TestTiming.scaled(.seconds(30))) { $0.requestCount >= 300 }
                process.interrupt()
            }
        }
        let (status, stdout, stderr) = (run.status, run.stdout, run.stderr)
        #expect(status == 0 || status == 1, "a verdict, not an error (2) nor a signal's death: \(status) \(stderr)")
        #expect(stdout.contains("(target 100 req/s)"), "\(stdout)")
        #expect(stdout.contains("; interrupted"), "\(stdout)")
        #expect(stdout.contains("candidate (corrected)"), "\(stdout)")
        #expect(stderr.contains("tapcompare replay: stopping"))
        let xml = try String(contentsOf: dir.appendingPathComponent("load.xml"), encoding: .utf8)
        #expect(xml.contains("<property name=\"load.interrupted\" value=\"true\"/>"))
        #expect(xml.contains("<property name=\"latency.candidate_corrected.p99_ms\""))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func captureImportAndExport() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let har = TestPaths.fixture("har/devtools-export.har")
        let imported = try await Self.tapcompare(["capture", "import", har, "-o", "imported.jsonl"], in: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try CaptureFile.read(path: dir.appendingPathComponent("imported.jsonl").path).count == 3)
        // The browser's cookie, token and Set-Cookie values are redacted as serve's capture redacts them; with
        // --config its redact: section applies too.
        let importedText = try String(contentsOf: dir.appendingPathComponent("imported.jsonl"), encoding: .utf8)
        for secret in ["abc123", "secret-token", "a=1; Path=/"] { #expect(!importedText.contains(secret), "\(secret) imported") }
        #expect(importedText.contains(#"["Cookie","[REDACTED]"]"#))
        try "legacy: http://127.0.0.1:1\nredact:\n  query_params: [sort]\n".write(to: dir.appendingPathComponent("t.yml"), atomically: true, encoding: .utf8)
        let configured = try await Self.tapcompare(["capture", "import", har, "-o", "configured.jsonl", "--config", "t.yml"], in: dir)
        #expect(configured.status == 0, "\(configured.stderr)")
        let configuredRecords = try CaptureFile.read(path: dir.appendingPathComponent("configured.jsonl").path)
        #expect(configuredRecords.first?.request.uri == "/api/v1/posts/48213/comments?sort=[REDACTED]&limit=10")
        let exported = try await Self.tapcompare(["capture", "export", "imported.jsonl", "-o", "out.har"], in: dir)
        #expect(exported.status == 0)
        #expect(try HARFile.read(path: dir.appendingPathComponent("out.har").path) == CaptureFile.read(path: dir.appendingPathComponent("imported.jsonl").path))
        let bad = try await Self.tapcompare(["capture", "import", "nope.har", "-o", "x.jsonl"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("tapcompare: nope.har: cannot read the HAR file"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.jsonl").path))
    }
}
