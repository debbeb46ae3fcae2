import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// `tapcompare replay` of a gRPC capture as CI runs it: `--config` brings the `grpc:` section (descriptor set,
/// read methods), `h2c://` and `https://` with `--candidate-protocol http2` reach HTTP/2 candidates.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReplayGRPCCommandTests {
    /// Captures the comment calls from `legacy` (its answers' frames and trailers, as `serve` records them) into
    /// `capture.jsonl` in `directory`, with a `tapcompare.yml` whose `grpc:` names the descriptor set and the reads.
    static func prepare(in directory: URL, legacy: HTTP2TestServer) async throws {
        let client = try await HTTP2TestClient.connect(port: legacy.port)
        var records: [CaptureRecord] = []
        for (index, call) in GRPCCommentService.calls.enumerated() {
            let answer = try await client.send(path: call.path, headers: GRPCCommentService.requestHeaders, body: call.body)
            let request = RequestSnapshot(
                method: .POST, uri: call.path, version: HTTPVersion(major: 2, minor: 0),
                headers: HTTPHeaders(GRPCCommentService.requestHeaders), body: ByteBuffer(bytes: call.body)
            )
            let response = ResponseSnapshot(
                status: HTTPResponseStatus(statusCode: Int(answer.status ?? "") ?? 0), version: HTTPVersion(major: 2, minor: 0),
                headers: HTTPHeaders(answer.headers.filter { !$0.name.hasPrefix(":") }.map { ($0.name, $0.value) }),
                body: ByteBuffer(bytes: answer.body), trailers: answer.trailers
            )
            let exchange = Exchange(
                requestID: "req-\(index)", route: call.path, request: request, legacy: response, legacyLatency: .milliseconds(1),
                candidate: .skipped(SkipReason("not_sampled"))
            )
            records.append(CaptureRecord(exchange))
        }
        try await client.close()
        try CaptureFile.write(records, path: directory.appendingPathComponent("capture.jsonl").path)
        try """
            legacy: h2c://127.0.0.1:\(legacy.port)
            grpc:
              descriptor_set: \(TestPaths.fixture("grpc/comments.pb"))
              read_methods: ["*/Get*", "*/List*"]

            """.write(to: directory.appendingPathComponent("tapcompare.yml"), atomically: true, encoding: .utf8)
    }

    /// Replays the capture. The connect timeout is ``TestTiming/localConnect``, not replay's 2 s: it covers the
    /// in-process server's SETTINGS (and TLS handshake), which this test process, busy with every suite at once on
    /// 2 cores, can hold past 2 s.
    static func replay(_ candidate: [String], in directory: URL) async throws -> CommandLineTests.Run {
        try await CommandLineTests.tapcompare(
            ["replay", "capture.jsonl", "--config", "tapcompare.yml", "--ledger", "sqlite:ledger.sqlite", "--quiet"]
                + ["--connect-timeout", "\(TestTiming.localConnect.components.seconds)s"] + candidate,
            in: directory
        )
    }

    @Test func aGRPCCaptureIsReplayedOverH2CAndOverTLSAndJudged() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let legacy = try await HTTP2TestServer { request, _ in GRPCCommentService.answer(request, planted: false) }
        let planted = try await HTTP2TestServer { request, _ in GRPCCommentService.answer(request, planted: true) }
        let overTLS = try await HTTP2TestServer(tls: try certificates.makeServerContext(applicationProtocols: ["h2"])) { request, _ in
            GRPCCommentService.answer(request, planted: false)
        }
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Self.prepare(in: directory, legacy: legacy)

        // The planted bugs fail the run; the reads (by grpc.read_methods) were all sent.
        let failing = try await Self.replay(["--candidate", "h2c://127.0.0.1:\(planted.port)"], in: directory)
        #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(planted.requests.count == 3)

        // An equal candidate over h2 with TLS (ALPN) passes.
        let passing = try await Self.replay(
            ["--candidate", "https://127.0.0.1:\(overTLS.port)", "--candidate-protocol", "http2", "--candidate-ca-file", certificates.caFile],
            in: directory
        )
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(overTLS.requests.count == 3)

        // A protocol the URL contradicts is a usage mistake: exit 2, the option and the fix named.
        let contradicted = try await Self.replay(["--candidate", "http://127.0.0.1:\(overTLS.port)", "--candidate-protocol", "http2"], in: directory)
        #expect(contradicted.status == 2)
        #expect(contradicted.stderr.contains("--candidate-protocol http2: HTTP/2 without TLS is written in the URL: h2c://127.0.0.1:\(overTLS.port)"))
        try await legacy.shutdown()
        try await planted.shutdown()
        try await overTLS.shutdown()
    }
}
