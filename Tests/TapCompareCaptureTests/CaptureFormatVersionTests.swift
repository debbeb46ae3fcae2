import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// Capture format version 2 (issue 18): trailers kept, gRPC bodies in base64, version 1 files still read.
@Suite struct CaptureFormatVersionTests {
    static func grpcExchange(message: [UInt8]) -> Exchange {
        let headers = HTTPHeaders([("content-type", "application/grpc"), ("te", "trailers")])
        let frame = HTTP2TestServer.frame(message)
        let legacy = ResponseSnapshot(
            status: .ok, version: HTTPVersion(major: 2, minor: 0), headers: HTTPHeaders([("content-type", "application/grpc")]),
            body: ByteBuffer(bytes: frame + frame),
            trailers: [("grpc-status", "0"), ("grpc-message", "ok"), ("x-session-token", "s3cret"), ("authorization", "Bearer t")]
        )
        return Exchange(
            id: UUID(), requestID: "r", route: "/pkg.Svc/Get", startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            request: RequestSnapshot(
                method: .POST, uri: "/pkg.Svc/Get", version: HTTPVersion(major: 2, minor: 0), headers: headers,
                body: ByteBuffer(bytes: frame), trailers: [("x-checksum", "abc")]
            ),
            legacy: legacy, legacyLatency: .milliseconds(3), candidate: .response(legacy, latency: .milliseconds(4))
        )
    }

    @Test func version2KeepsTrailersAndTheProtocolAndWritesGRPCBodiesAsBase64() throws {
        // Frames of printable bytes are valid UTF-8, and still written as base64: they are binary frames.
        let exchange = Self.grpcExchange(message: Array("hello".utf8))
        let record = CaptureRecord(exchange)
        #expect(record.version == 2)
        #expect(record.request.body?.encoding == .base64)
        #expect(record.legacy.body?.encoding == .base64)
        let line = try CaptureCodec().encode(record)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains(#""trailers":[["grpc-status","0"],["grpc-message","ok"],["x-session-token","s3cret"],["authorization","Bearer t"]]"#))
        #expect(text.contains(#""http_version":"2""#))
        let back = try CaptureCodec().decode(line).exchange()
        #expect(back.request == exchange.request)
        #expect(back.legacy == exchange.legacy)
        #expect(back.candidate == exchange.candidate)
    }

    @Test func sensitiveTrailersAreRedactedAsHeadersAre() throws {
        var record = CaptureRecord(Self.grpcExchange(message: [1, 2, 3]))
        _ = try CaptureRedactor(RedactionConfiguration(headers: ["x-session-token"])).redact(&record)
        let expected = [
            CaptureRecord.Header("grpc-status", "0"), CaptureRecord.Header("grpc-message", "ok"),
            CaptureRecord.Header("x-session-token", "[REDACTED]"), CaptureRecord.Header("authorization", "[REDACTED]"),
        ]
        #expect(record.legacy.trailers == expected)
        #expect(record.candidate?.response?.trailers == expected)
        // A gRPC body is never taken for JSON text by the body redaction: with JSON paths set it is left out (its
        // protobuf would keep the fields they name), its length kept, each side counted as `protobuf`.
        var withPaths = CaptureRecord(Self.grpcExchange(message: Array(#"{"a":1}"#.utf8)))
        let length = withPaths.legacy.bodyLength
        let withheld = try CaptureRedactor(RedactionConfiguration(jsonPaths: ["$.a"])).redact(&withPaths)
        #expect(withPaths.legacy.body == nil && withPaths.request.body == nil && withPaths.candidate?.response?.body == nil)
        #expect(withPaths.legacy.bodyLength == length)
        #expect(withheld.map(\.reason) == [.protobuf, .protobuf, .protobuf])
    }

    @Test func version1CapturesStillReadAndUnknownVersionsAreRefused() throws {
        let records = try CaptureFile.read(path: TestPaths.fixture("comments.capture.jsonl"))
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { $0.version == 1 && $0.legacy.trailers.isEmpty })
        for record in records { _ = try record.exchange() }

        let line = try CaptureCodec().encode(CaptureRecord(Self.grpcExchange(message: [1])))
        let future = String(decoding: line, as: UTF8.self).replacingOccurrences(of: #"{"version":2,"#, with: #"{"version":3,"#)
        #expect(future != String(decoding: line, as: UTF8.self))
        do {
            _ = try CaptureCodec().decode(Data(future.utf8))
            Issue.record("version 3 was read")
        } catch {
            #expect(error.isUnsupportedVersion)
        }
    }
}
