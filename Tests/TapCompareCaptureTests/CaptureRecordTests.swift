import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import Testing

@Suite struct CaptureRecordTests {
    static func sampleExchange(requestBody: [UInt8], legacyBody: [UInt8], candidate: CandidateResult? = nil) -> Exchange {
        var requestHeaders = HTTPHeaders()
        requestHeaders.add(name: "Host", value: "comments.internal")
        requestHeaders.add(name: "Accept", value: "application/json")
        requestHeaders.add(name: "X-Trace", value: "a")
        requestHeaders.add(name: "X-Trace", value: "b")
        var legacyHeaders = HTTPHeaders()
        legacyHeaders.add(name: "Content-Type", value: "application/json")
        legacyHeaders.add(name: "Set-Cookie", value: "a=1")
        legacyHeaders.add(name: "Set-Cookie", value: "b=2")
        let legacy = ResponseSnapshot(status: .ok, headers: legacyHeaders, body: ByteBuffer(bytes: legacyBody))
        return Exchange(
            id: UUID(uuidString: "0190c8a4-1f00-7000-8000-000000000001")!,
            requestID: "req-1",
            route: "POST /api/v1/comments",
            startedAt: Date(timeIntervalSince1970: 1_790_000_000.123),
            request: RequestSnapshot(method: .POST, uri: "/api/v1/comments?x=1&y=%20", headers: requestHeaders, body: ByteBuffer(bytes: requestBody)),
            legacy: legacy,
            legacyLatency: .microseconds(12_345),
            candidate: candidate ?? .response(legacy, latency: .milliseconds(7))
        )
    }

    @Test func textBodiesStayReadableAndRoundTripByteExactly() throws {
        // Emoji, RTL, CJK, a combining mark (not normalized away), a NUL and a 2^63-ish number.
        let text = "{\"body\":\"héllo 👋🏽 שלום 你好 e\u{0301} \\u0000 \",\"id\":9223372036854775807}"
        let exchange = Self.sampleExchange(requestBody: Array(text.utf8), legacyBody: Array("é\u{0301}".utf8))
        let record = CaptureRecord(exchange)
        #expect(record.request.body?.encoding == .utf8)
        let line = try CaptureCodec().encode(record)
        #expect(!line.contains(UInt8(ascii: "\n")))
        let back = try CaptureCodec().decode(line).exchange()
        #expect(Array(back.request.body.readableBytesView) == Array(text.utf8))
        #expect(Array(back.legacy.body.readableBytesView) == Array("é\u{0301}".utf8))
        #expect(back.request.headers[canonicalForm: "X-Trace"] == ["a", "b"])
        #expect(back.legacy.headers["Set-Cookie"] == ["a=1", "b=2"])
        #expect(back.request.uri == "/api/v1/comments?x=1&y=%20")
        #expect(back.legacyLatency == .microseconds(12_345))
        #expect(back.id == exchange.id)
        #expect(abs(back.startedAt.timeIntervalSince(exchange.startedAt)) < 0.001)
        #expect(back.candidate == exchange.candidate)
    }

    @Test func binaryBodiesAreBase64AndRoundTrip() throws {
        let bytes: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFE, 0x00, 0xC3]
        let record = CaptureRecord(Self.sampleExchange(requestBody: bytes, legacyBody: [0xC0, 0xAF]))
        #expect(record.request.body?.encoding == .base64)
        #expect(record.legacy.body == CaptureBody(encoding: .base64, data: "wK8="))
        let back = try CaptureCodec().decode(try CaptureCodec().encode(record)).exchange()
        #expect(Array(back.request.body.readableBytesView) == bytes)
    }

    @Test func candidateOutcomesRoundTrip() throws {
        for candidate: CandidateResult in [
            .failed(reason: "connection refused", latency: .milliseconds(3)),
            .timedOut(after: .seconds(5)),
            .skipped(.maxInFlight),
        ] {
            let record = CaptureRecord(Self.sampleExchange(requestBody: [], legacyBody: [], candidate: candidate))
            let back = try CaptureCodec().decode(try CaptureCodec().encode(record)).exchange()
            #expect(back.candidate == candidate)
        }
    }

    @Test func badLinesNameFileLineAndKey() throws {
        let good = try CaptureCodec().encode(CaptureRecord(Self.sampleExchange(requestBody: [], legacyBody: [])))
        var data = good
        data.append(contentsOf: Array("\n\n{\"version\":1,\"id\":\"x\"}\n".utf8))
        #expect {
            try CaptureFile.parse(data, file: "traffic.jsonl")
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("traffic.jsonl:3: missing key '")
        }
        let future = Data("{\"version\":99}\n".utf8)
        #expect {
            try CaptureFile.parse(future, file: "new.jsonl")
        } throws: { error in
            "\(error)".contains("new.jsonl:1: capture format version 99 is not supported")
        }
    }
}
