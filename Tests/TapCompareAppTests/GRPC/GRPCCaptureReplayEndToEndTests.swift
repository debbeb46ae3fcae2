import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareTestSupport
import Testing

/// Issue 18, capture and replay through `tapcompare serve`: gRPC calls made through the proxy over h2c are captured
/// with their frames (base64) and trailers, and the capture replayed over HTTP/2 finds the candidate's planted bugs at
/// their fields.
@Suite("gRPC capture and replay end to end", .timeLimit(.minutes(TestTiming.minutes(2))))
struct GRPCCaptureReplayEndToEndTests {
    @Test func callsCapturedThroughServeAreReplayedAndCompared() async throws {
        let legacy = try await HTTP2TestServer { request, _ in GRPCCommentService.answer(request, planted: false) }
        let candidate = try await HTTP2TestServer { request, _ in GRPCCommentService.answer(request, planted: true) }
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capturePath = "\(directory)/capture.jsonl"
        let serve = try await ServeProcess.start(yaml: """
            legacy: h2c://127.0.0.1:\(legacy.port)
            candidate: h2c://127.0.0.1:\(candidate.port)
            sample_rate: 1.0
            grpc:
              read_methods: ["*/Get*", "*/List*"]
            capture:
              path: \(capturePath)
              sample_rate: 1.0
            ledger:
              url: sqlite:\(directory)/ledger.sqlite
              spool_dir: \(directory)/spool

            """, directory: directory)
        defer { serve.terminate() }
        let client = try await HTTP2TestClient.connect(port: serve.proxyPort)
        // GetComment 7 (unary) and ListComments (server streaming).
        let calls = [GRPCCommentService.calls[0], GRPCCommentService.calls[2]]
        for call in calls {
            let answer = try await client.send(
                path: call.path, headers: GRPCCommentService.requestHeaders, body: call.body, trailers: [("x-client-checksum", "c0ffee")]
            )
            #expect(answer.trailer("grpc-status") == "0")
        }
        try await client.close()
        // What serve hands the capture is what it mirrored and compared.
        try await eventually("both calls are compared") { try await serve.metrics().value("tapcompare_comparisons_total") >= 2 }
        #expect(try await serve.stop() == 0)

        // The capture: format 2, HTTP/2, the frames byte for byte, legacy's trailers, the token redacted.
        let records = try CaptureFile.read(path: capturePath)
        try #require(records.count == 2)
        #expect(records.map(\.route) == calls.map(\.path))
        #expect(records.allSatisfy { $0.version == 2 && $0.request.httpVersion == "2" && $0.legacy.httpVersion == "2" })
        #expect(try records.map { try $0.request.body?.bytes() } == calls.map { ByteBuffer(bytes: $0.body) })
        #expect(try records[1].legacy.body?.bytes() == ByteBuffer(bytes: (1...3).flatMap { HTTP2TestServer.frame(GRPCCommentService.comment(id: Int64($0))) }))
        #expect(records.allSatisfy { $0.legacy.body?.encoding == .base64 && $0.legacy.trailers.contains(CaptureRecord.Header("grpc-status", "0")) })
        #expect(records.allSatisfy { !$0.request.headers.contains { $0.value.contains("secret-token") } })
        #expect(records.allSatisfy { $0.request.trailers == [CaptureRecord.Header("x-client-checksum", "c0ffee")] })

        // Replayed over h2c against the candidate, compared with the descriptor set as serve compares.
        var configuration = ReplayConfiguration(candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(candidate.port)", flag: "--candidate"), runID: "e2e")
        configuration.timeout = TestTiming.scaled(configuration.timeout)
        configuration.connectTimeout = TestTiming.localConnect
        configuration.grpcMethods = GRPCMethodPolicy(readMethods: [try GRPCMethodPattern(parsing: "*/Get*"), try GRPCMethodPattern(parsing: "*/List*")])
        let comparator = try ReplayComparators.make(
            rulesDirectory: nil, grpc: .init(descriptors: try DescriptorSet.load(file: TestPaths.fixture("grpc/comments.pb")))
        )
        let sink = Recorded()
        let replayer = Replayer(configuration: configuration, comparator: comparator, sink: sink)
        _ = await replayer.run(try replayer.prepare(records.enumerated().map { ($0.element, capturePath, $0.offset + 1) }))
        let found = Dictionary(sink.all.map { ($0.path, $0.discrepancies.map { "\($0.path) \($0.kind.rawValue)" }.sorted()) }) { $1 }
        #expect(found[GRPCCommentService.get] == ["/messages/0/status value_changed"])
        #expect(found[GRPCCommentService.list] == ["/messages/0/tags/1 missing_in_candidate", "/messages/2 missing_in_candidate"])
        #expect(Set(candidate.requests.map(\.body)) == Set(calls.map(\.body)))
        // Every call the candidate got carries the client's request trailers: serve's two mirrored calls, and the two
        // replayed from the capture.
        #expect(candidate.requests.count == 4)
        #expect(candidate.requests.allSatisfy { $0.trailers.contains { $0 == ("x-client-checksum", "c0ffee") } })
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    /// The comparisons a replay records.
    final class Recorded: ComparisonRecordSink, Sendable {
        private let records = NIOLockedValueBox<[ComparisonRecord]>([])
        func record(_ record: ComparisonRecord) { self.records.withLockedValue { $0.append(record) } }
        var all: [ComparisonRecord] { self.records.withLockedValue { $0 } }
    }
}
