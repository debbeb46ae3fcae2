import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport
import Testing

/// Issue 18, capture and replay: gRPC calls captured with their frames (base64) and trailers, replayed over HTTP/2
/// (h2c, and h2 over TLS negotiated by ALPN) against in-process gRPC servers, and compared field by field as `serve`
/// compares them.
@Suite("Replay of gRPC captures", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ReplayGRPCTests {
    static let get = GRPCCommentService.get
    static let list = GRPCCommentService.list
    static let calls = GRPCCommentService.calls
    static let grpcHeaders = GRPCCommentService.requestHeaders

    static func answer(_ request: HTTP2TestServer.Request, planted: Bool) -> HTTP2TestServer.Behavior {
        GRPCCommentService.answer(request, planted: planted)
    }

    /// Captures the calls as `serve` would: each sent to legacy over HTTP/2, its answer (frames and trailers) kept
    /// with the request, redacted as `serve`'s capture redacts, and written as a capture file.
    static func capture(legacy: HTTP2TestServer, into path: String) async throws {
        let client = try UpstreamClient(configuration: .init(target: try UpstreamURL(parsing: "h2c://127.0.0.1:\(legacy.port)")))
        let redactor = try CaptureRedactor(RedactionConfiguration())
        var records: [CaptureRecord] = []
        for (index, call) in Self.calls.enumerated() {
            let request = RequestSnapshot(
                method: .POST, uri: call.path, version: HTTPVersion(major: 2, minor: 0),
                headers: HTTPHeaders(Self.grpcHeaders), body: ByteBuffer(bytes: call.body)
            )
            let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: call.path, headers: HTTPHeaders(Self.grpcHeaders + [("host", "legacy")]))
            guard case .response(let answer, let latency) = await client.send(head, body: request.body, trailers: nil) else {
                throw TestSetupError("legacy did not answer \(call.path)")
            }
            let exchange = Exchange(
                id: UUID(), requestID: "req-\(index)", route: call.path, startedAt: Date(), request: request,
                legacy: answer, legacyLatency: latency, candidate: .skipped(SkipReason("not_sampled"))
            )
            var record = CaptureRecord(exchange)
            _ = redactor.redact(&record)
            records.append(record)
        }
        await client.shutdown()
        try CaptureFile.write(records, path: path)
    }

    /// ``capture(legacy:into:)`` into a new temporary directory (the caller removes it).
    static func captureFile(legacy: HTTP2TestServer) async throws -> (directory: URL, path: String) {
        let directory = try TestPaths.temporaryDirectory()
        let path = directory.appendingPathComponent("grpc.capture.jsonl").path
        try await Self.capture(legacy: legacy, into: path)
        return (directory, path)
    }

    /// Replays a capture file against `candidate` with the comparison `serve` makes from `grpc:` (the comment API's
    /// descriptor set, reads named by `read_methods`); each call's discrepancies as `path kind [legacy candidate]`.
    static func replay(
        _ path: String, candidate: ReplayTarget, configure: (inout ReplayConfiguration) -> Void = { _ in }
    ) async throws -> (ReplaySummary, [String: [String]]) {
        var configuration = ReplayConfiguration(candidate: candidate, concurrency: 4, runID: "grpc-run").withTestTimeouts()
        // Every server here answers (the test that wants a timeout sets its own): the call timeout only guards
        // against a hang. Replay's 5 s ran out once in the suite's opening seconds: no call reached the in-process
        // server over TLS, and a held server's nine calls got two answers.
        configuration.timeout = TestTiming.scaled(TestTiming.eventWait)
        configure(&configuration)
        configuration.grpcMethods = GRPCMethodPolicy(readMethods: [try GRPCMethodPattern(parsing: "*/Get*"), try GRPCMethodPattern(parsing: "*/List*")])
        let descriptors = try DescriptorSet.load(file: TestPaths.fixture("grpc/comments.pb"))
        let comparator = try ReplayComparators.make(rulesDirectory: nil, grpc: .init(descriptors: descriptors))
        let sink = RecordingSink()
        let replayer = Replayer(configuration: configuration, comparator: comparator, sink: sink)
        let items = try replayer.prepare(try CaptureFile.contents(path: path).records.map { ($0.record, path, $0.line) })
        let summary = await replayer.run(items)
        var found: [String: [String]] = [:]
        for record in sink.all {
            var lines: [String] = []
            for d in record.discrepancies {
                var line = "\(d.path.isEmpty ? d.field : d.path) \(d.kind.rawValue)"
                if d.kind != .missingInCandidate && d.kind != .missingInLegacy { line += " \(d.legacyValue ?? "nil") \(d.candidateValue ?? "nil")" }
                lines.append(line)
            }
            found[record.path + "#" + String(record.requestID.last ?? "?"), default: []] += lines.sorted()
        }
        return (summary, found)
    }

    @Test("a gRPC capture replayed over h2c: planted discrepancies at their fields, none against an equal candidate")
    func replayOverH2C() async throws {
        let legacy = try await HTTP2TestServer { request, _ in Self.answer(request, planted: false) }
        let candidate = try await HTTP2TestServer { request, _ in Self.answer(request, planted: true) }
        let (directory, path) = try await Self.captureFile(legacy: legacy)
        defer { try? FileManager.default.removeItem(at: directory) }

        // The file: version 2, the protocol, the frames byte for byte in base64, the trailers, the token redacted.
        let records = try CaptureFile.read(path: path)
        #expect(records.map(\.version) == [2, 2, 2])
        #expect(records.allSatisfy { $0.request.httpVersion == "2" && $0.legacy.httpVersion == "2" })
        #expect(records.allSatisfy { $0.request.body?.encoding == .base64 && $0.legacy.body?.encoding == .base64 })
        #expect(try records[2].legacy.body?.bytes() == ByteBuffer(bytes: (1...3).flatMap { HTTP2TestServer.frame(GRPCCommentService.comment(id: Int64($0))) }))
        #expect(records[0].legacy.trailers == [CaptureRecord.Header("grpc-status", "0")])
        #expect(records.allSatisfy { $0.request.headers.contains(CaptureRecord.Header("authorization", "[REDACTED]")) })

        let h2c = try ReplayTarget(parsing: "h2c://127.0.0.1:\(candidate.port)", flag: "--candidate")
        let (summary, found) = try await Self.replay(path, candidate: h2c)
        #expect(found["\(Self.get)#0"] == ["/messages/0/status value_changed \"VISIBLE\" \"HIDDEN\""])
        #expect(found["\(Self.get)#1"]?.contains("grpc-status status 0 5") == true)
        #expect(found["\(Self.get)#1"]?.contains("trailer:grpc-message header nil \"comment 8 not found\"") == true)
        #expect(found["\(Self.list)#2"] == ["/messages/0/tags/1 missing_in_candidate", "/messages/2 missing_in_candidate"])
        #expect(summary.responsesReceived == 3)
        // What the candidate got is the captured call: the same frames, `TE: trailers`, and no shadow header
        // (both methods are reads by `read_methods`).
        #expect(candidate.requests.count == 3)
        #expect(Set(candidate.requests.map(\.body)) == Set(Self.calls.map(\.body)))
        #expect(candidate.requests.allSatisfy { $0.header("te") == "trailers" && $0.header("x-tap-compare") == nil })

        // Against a live legacy over h2c (--legacy h2c://…): the same fields differ.
        let (_, live) = try await Self.replay(path, candidate: h2c) { configuration in
            configuration.legacy = try? ReplayTarget(parsing: "h2c://127.0.0.1:\(legacy.port)", flag: "--legacy")
        }
        #expect(live == found)
        #expect(legacy.requests.count == 2 * Self.calls.count)

        // Legacy as the candidate: equal answers, no discrepancy.
        let same = try ReplayTarget(parsing: "h2c://127.0.0.1:\(legacy.port)", flag: "--candidate")
        let (equalSummary, equal) = try await Self.replay(path, candidate: same)
        #expect(equalSummary.responsesReceived == 3)
        #expect(equal.values.allSatisfy { $0.isEmpty })
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    @Test("h2 over TLS negotiated by ALPN with --candidate-protocol http2; the protocol option is checked against the URL")
    func replayOverTLS() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await HTTP2TestServer { request, _ in Self.answer(request, planted: false) }
        let candidate = try await HTTP2TestServer(tls: try certificates.makeServerContext(applicationProtocols: ["h2"])) { request, _ in
            Self.answer(request, planted: true)
        }
        let (directory, path) = try await Self.captureFile(legacy: legacy)
        defer { try? FileManager.default.removeItem(at: directory) }

        var target = try ReplayTarget(parsing: "https://127.0.0.1:\(candidate.port)", flag: "--candidate")
        try target.setProtocol("http2", option: "--candidate-protocol")
        target.tls = UpstreamTLS(caFile: certificates.caFile)
        let (summary, found) = try await Self.replay(path, candidate: target)
        #expect(summary.responsesReceived == 3)
        #expect(found["\(Self.get)#0"] == ["/messages/0/status value_changed \"VISIBLE\" \"HIDDEN\""])
        #expect(candidate.requests.count == 3)

        var h2c = try ReplayTarget(parsing: "h2c://127.0.0.1:1", flag: "--candidate")
        #expect(throws: ReplayError.self) { try h2c.setProtocol("http1", option: "--candidate-protocol") }
        var plain = try ReplayTarget(parsing: "http://127.0.0.1:1", flag: "--candidate")
        #expect(throws: ReplayError.self) { try plain.setProtocol("http2", option: "--candidate-protocol") }
        #expect(throws: ReplayError.self) { try target.setProtocol("spdy", option: "--candidate-protocol") }
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    @Test("HTTP/2 replay is bounded: the server's stream limit per connection, the response body cap, the call timeout")
    func bounded() async throws {
        let legacy = try await HTTP2TestServer { request, _ in Self.answer(request, planted: false) }
        let (directory, path) = try await Self.captureFile(legacy: legacy)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The capture three times over: nine calls.
        let records = try CaptureFile.read(path: path)
        try CaptureFile.write(records + records + records, path: path)

        // A server that allows two streams at once and holds every answer until released.
        let release = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let limited = try await HTTP2TestServer(maxConcurrentStreams: 2) { request, _ in
            guard case .answer(let headers, let data, let trailers, _) = Self.answer(request, planted: false) else { return .resetStream }
            return .answer(headers: headers, data: data, trailers: trailers, hold: release.futureResult)
        }
        let target = try ReplayTarget(parsing: "h2c://127.0.0.1:\(limited.port)", flag: "--candidate")
        async let run = Self.replay(path, candidate: target) { $0.concurrency = 9 }
        try await eventually("the server has two calls waiting") { limited.requests.count >= 2 }
        release.succeed()
        let (summary, found) = try await run
        #expect(summary.responsesReceived == 9)
        #expect(found.values.allSatisfy { $0.isEmpty })
        #expect(limited.maxOpenStreams == 2)

        // An answer over the cap is not compared; one later than the timeout is a timeout.
        let (capped, _) = try await Self.replay(path, candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(legacy.port)", flag: "--candidate")) {
            $0.maxResponseBytes = 16
        }
        #expect(capped.responsesReceived == 0)
        #expect(capped.skipped == [SkipReason.responseTooLarge.rawValue: 9])
        let never = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        defer { never.succeed() }
        let stalled = try await HTTP2TestServer { _, _ in
            .answer(headers: [(":status", "200"), ("content-type", "application/grpc")], data: [], trailers: [("grpc-status", "0")], hold: never.futureResult)
        }
        let (late, _) = try await Self.replay(path, candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(stalled.port)", flag: "--candidate")) {
            $0.timeout = .milliseconds(200)
        }
        #expect(late.candidateTimeouts == 9)
        try await legacy.shutdown()
        try await limited.shutdown()
        try await stalled.shutdown()
    }
}
