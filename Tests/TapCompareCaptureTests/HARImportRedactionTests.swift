import Foundation
import TapCompareCapture
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// `tapcompare capture import` keeps secrets out of the capture it writes, as `serve`'s capture does: the browser
/// export's `Cookie`, `Authorization` and `Set-Cookie` values were copied into the file before the fix.
@Suite struct HARImportRedactionTests {
    static let har = TestPaths.fixture("har/devtools-export.har")
    /// The secrets `fixtures/har/devtools-export.har` holds in headers.
    static let secrets = ["session=abc123", "abc123", "Bearer secret-token", "secret-token", "a=1; Path=/", "b=2; Path=/"]

    /// The values of `name` in `headers`.
    static func values(_ name: String, _ headers: [CaptureRecord.Header]) -> [String] {
        headers.filter { $0.name.lowercased() == name }.map(\.value)
    }

    @Test func theSensitiveHeadersAreRedactedWithoutAnyConfiguration() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("imported.jsonl").path
        let result = try HARImport.run(har: Self.har, output: output)
        #expect(result.exchanges == 3)
        #expect(result.withheld.isEmpty)

        let text = try String(contentsOfFile: output, encoding: .utf8)
        for secret in Self.secrets { #expect(!text.contains(secret), "\(secret) in the capture") }
        let records = try CaptureFile.read(path: output)
        #expect(Self.values("cookie", records[0].request.headers) == [Redactor.marker])
        #expect(Self.values("set-cookie", records[0].legacy.headers) == [Redactor.marker, Redactor.marker])
        #expect(Self.values("authorization", records[1].request.headers) == [Redactor.marker])
        // Everything else as the HAR has it.
        #expect(Self.values("accept-language", records[0].request.headers) == ["en-US", "he-IL;q=0.8"])
        #expect(records[0].request.uri == "/api/v1/posts/48213/comments?sort=top&limit=10")
    }

    @Test func aConfiguredRedactSectionAppliesAsInServesCapture() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("imported.jsonl").path
        let redaction = RedactionConfiguration(headers: ["Accept-Language"], queryParameters: ["sort"])
        _ = try HARImport.run(har: Self.har, output: output, redaction: redaction)

        let text = try String(contentsOfFile: output, encoding: .utf8)
        for secret in Self.secrets + ["he-IL;q=0.8"] { #expect(!text.contains(secret), "\(secret) in the capture") }
        let records = try CaptureFile.read(path: output)
        #expect(Self.values("accept-language", records[0].request.headers) == [Redactor.marker, Redactor.marker])
        #expect(Self.values("cookie", records[0].request.headers) == [Redactor.marker])
        #expect(records[0].request.uri == "/api/v1/posts/48213/comments?sort=[REDACTED]&limit=10")
    }

    /// The import takes a record's `request_id` from its `X-Request-Id`: with that header redacted, the id was still
    /// written in clear beside it.
    @Test func aRedactedXRequestIdLeavesNoCopyInTheRequestID() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = "7f3c2a9e-1b4d-4c8e-9a77-0d5e6f1a2b3c"
        // Named as the request id's header, and named only as a redacted header (serve's id in another header).
        for redaction in [
            RedactionConfiguration(headers: ["X-Request-Id"]),
            RedactionConfiguration(headers: ["X-Request-Id"], requestIDHeader: "X-Correlation-Id"),
        ] {
            let output = directory.appendingPathComponent("imported.jsonl").path
            _ = try HARImport.run(har: Self.har, output: output, redaction: redaction)
            #expect(!(try String(contentsOfFile: output, encoding: .utf8)).contains(id), "\(redaction)")
            let records = try CaptureFile.read(path: output)
            #expect(records[0].requestID == Redactor.marker)
            #expect(Self.values("x-request-id", records[0].request.headers) == [Redactor.marker])
        }
        let plain = directory.appendingPathComponent("plain.jsonl").path
        _ = try HARImport.run(har: Self.har, output: plain)
        #expect(try CaptureFile.read(path: plain)[0].requestID == id)
    }
}
