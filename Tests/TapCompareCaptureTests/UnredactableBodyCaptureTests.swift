import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// With `redact.json_paths` set, a capture leaves out a body the paths cannot be applied to: a gRPC call's protobuf
/// frames and bytes that are not UTF-8 text, as it already left out a `br` body. Stored as base64 before the fix,
/// they kept the very fields the paths name. A replay skips such an exchange as it skips the `br` one: it never
/// compares the candidate against an empty legacy body.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct UnredactableBodyCaptureTests {
    static let redaction = RedactionConfiguration(jsonPaths: ["$.token"])
    static let secret = "tok-secret-42"

    /// A gRPC read whose request and answer are one framed message holding the secret as a string field (protobuf
    /// keeps strings as they are, so the secret is in the bytes).
    static func grpcExchange() -> Exchange {
        let headers: HTTPHeaders = ["content-type": "application/grpc"]
        let frame = HTTP2TestServer.frame(ProtobufWriter().string(1, Self.secret).bytes)
        let legacy = ResponseSnapshot(status: .ok, version: .http2, headers: headers, body: ByteBuffer(bytes: frame), trailers: [("grpc-status", "0")])
        return Exchange(
            requestID: "grpc-1", route: "/pkg.Svc/Get",
            request: RequestSnapshot(method: .POST, uri: "/pkg.Svc/Get", version: .http2, headers: headers, body: ByteBuffer(bytes: frame)),
            legacy: legacy, legacyLatency: .milliseconds(2), candidate: .skipped(SkipReason("not_sampled"))
        )
    }

    /// A read whose legacy answer is JSON with one byte that is not UTF-8 (a Latin-1 `é`): the secret sits in it.
    static func binaryExchange() -> Exchange {
        let body = Array(#"{"name":"Ren"#.utf8) + [0xE9] + Array(#"","token":"\#(Self.secret)"}"#.utf8)
        let legacy = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: body))
        return Exchange(
            requestID: "binary-1", route: "GET /api/v1/users/{id}",
            request: RequestSnapshot(method: .GET, uri: "/api/v1/users/1", headers: ["accept": "application/json"]),
            legacy: legacy, legacyLatency: .milliseconds(2), candidate: .skipped(SkipReason("not_sampled"))
        )
    }

    /// What the capture already did: a `br` body it cannot decode is withheld (reason `undecodable`).
    static func brotliExchange() -> Exchange {
        let legacy = ResponseSnapshot(
            status: .ok, headers: ["content-type": "application/json", "content-encoding": "br"], body: ByteBuffer(bytes: [0x8B, 0x02, 0x80])
        )
        return Exchange(
            requestID: "br-1", route: "GET /api/v1/users/{id}",
            request: RequestSnapshot(method: .GET, uri: "/api/v1/users/2", headers: ["accept": "application/json"]),
            legacy: legacy, legacyLatency: .milliseconds(2), candidate: .skipped(SkipReason("not_sampled"))
        )
    }

    static func write(_ exchanges: [Exchange], redaction: RedactionConfiguration) async throws -> (CaptureWriter, [CaptureRecord], String) {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("traffic.jsonl").path
        let writer = try await CaptureWriterTests.runWriter(CaptureConfiguration(path: path, redaction: redaction), exchanges)
        return (writer, try CaptureFile.read(path: path), try String(contentsOfFile: path, encoding: .utf8))
    }

    @Test func aGRPCBodyIsLeftOutAndCountedWhenJSONPathsAreSet() async throws {
        let (writer, records, text) = try await Self.write([Self.grpcExchange()], redaction: Self.redaction)
        let record = try #require(records.first)
        #expect(record.request.body == nil)
        #expect(record.legacy.body == nil)
        #expect(record.request.bodyLength == 5 + 2 + Self.secret.count)
        #expect(record.legacy.bodyLength == record.request.bodyLength)
        #expect(record.legacy.trailers == [CaptureRecord.Header("grpc-status", "0")])
        // Both bodies of the one exchange: the request's and legacy's.
        #expect(writer.withheldBodyCount(.protobuf) == 2)
        let encodedSecret = Data(HTTP2TestServer.frame(ProtobufWriter().string(1, Self.secret).bytes)).base64EncodedString()
        #expect(!text.contains(encodedSecret))
    }

    @Test func aBodyThatIsNotUTF8IsLeftOutAndCountedWhenJSONPathsAreSet() async throws {
        let (writer, records, text) = try await Self.write([Self.binaryExchange()], redaction: Self.redaction)
        let record = try #require(records.first)
        #expect(record.legacy.body == nil)
        #expect(record.legacy.bodyLength == Self.binaryExchange().legacy.body.readableBytes)
        #expect(writer.withheldBodyCount(.binary) == 1)
        #expect(!text.contains(Data(Self.binaryExchange().legacy.body.readableBytesView).base64EncodedString()))
    }

    @Test func withoutJSONPathsNothingChanges() async throws {
        let (writer, records, _) = try await Self.write([Self.grpcExchange(), Self.binaryExchange()], redaction: RedactionConfiguration())
        #expect(try records[0].request.body?.bytes() == Self.grpcExchange().request.body)
        #expect(try records[0].legacy.body?.bytes() == Self.grpcExchange().legacy.body)
        #expect(records[1].legacy.body?.encoding == .base64)
        #expect(try records[1].legacy.body?.bytes() == Self.binaryExchange().legacy.body)
        for reason in WithheldSample.Reason.allCases { #expect(writer.withheldBodyCount(reason) == 0) }
    }

    @Test func aReplaySkipsTheseExchangesAsItSkipsAWithheldBrotliBody() async throws {
        let (writer, records, _) = try await Self.write(
            [Self.grpcExchange(), Self.binaryExchange(), Self.brotliExchange()], redaction: Self.redaction
        )
        #expect(writer.withheldBodyCount(.undecodable) == 1)
        let candidate = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: "{}"))
        }
        var configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: candidate.url, flag: "--candidate"), concurrency: 1, runID: "withheld"
        ).withTestTimeouts()
        // The gRPC call is a write here (no `grpc.read_methods`): it would be sent, were it complete.
        configuration.includeWrites = true
        let sink = RecordingSink()
        let replayer = Replayer(configuration: configuration, comparator: try ReplayComparators.make(rulesDirectory: nil), sink: sink)
        let items = try replayer.prepare(records.enumerated().map { ($0.element, "t.jsonl", $0.offset + 1) })
        let summary = await replayer.run(items)
        let reasons = Dictionary(uniqueKeysWithValues: sink.all.map { ($0.requestID, $0.reason) })
        // The gRPC request has no body to send: not sent, as a request cut at the cap.
        #expect(reasons["grpc-1"] == "request_body_truncated")
        // The GET is sent, and the answer not compared against an empty legacy body: the same skip as the `br` one.
        #expect(reasons["br-1"] == SkipReason.responseTooLarge.rawValue)
        #expect(reasons["binary-1"] == reasons["br-1"])
        #expect(summary.matched == 0 && summary.mismatched == 0)
        #expect(candidate.requests.map(\.head.uri).sorted() == ["/api/v1/users/1", "/api/v1/users/2"])
        try await candidate.shutdown()
    }
}
