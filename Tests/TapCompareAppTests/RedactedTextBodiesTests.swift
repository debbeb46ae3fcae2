import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareLedger
import Testing

/// JSON that a backend labels as text (Flask returns a string it was handed as `text/html`) is compared line by
/// line, not as JSON: what the ledger keeps of those lines must still hold no value at a `redact.json_paths` path.
@Suite("Redaction of bodies compared as text")
struct RedactedTextBodiesTests {
    static func stored(legacy: String, candidate: String, contentType: String) throws -> LedgerComparison {
        let headers: [(String, String)] = [("content-type", contentType)]
        let exchange = Exchange(
            requestID: "r-1", route: "GET /api/v1/users/{id}",
            request: RequestSnapshot(method: .GET, uri: "/api/v1/users/1", headers: HTTPHeaders()),
            legacy: ResponseSnapshot(status: .ok, headers: HTTPHeaders(headers), body: ByteBuffer(string: legacy)), legacyLatency: .milliseconds(2),
            candidate: .response(ResponseSnapshot(status: .ok, headers: HTTPHeaders(headers), body: ByteBuffer(string: candidate)), latency: .milliseconds(3))
        )
        let record = Comparator().compare(exchange)
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.password", "$.user.api_token"]))
        return LedgerRecordEncoder(redactor: redactor, instance: "i-1", maxSampleBytes: 65_536).encode(record)
    }

    /// Every text the row keeps: discrepancy values and samples.
    static func storedTexts(_ row: LedgerComparison) -> [String] {
        row.discrepancies.flatMap { [$0.legacyValue, $0.candidateValue].compactMap { $0 } }
            + [row.requestSample, row.legacySample, row.candidateSample].compactMap { $0 }
    }

    @Test(
        "compact JSON served as text/html, pretty-printed JSON served as text/plain, and JSON that parses on neither side: the ledger row holds no secret",
        arguments: [
            (#"{"id":1,"password":"pw-legacy-1","user":{"api_token":"tok-legacy-1","name":"Ada"}}"#,
             #"{"id":1,"password":"pw-cand-1","user":{"api_token":"tok-cand-1","name":"Ada L."}}"#, "text/html; charset=utf-8"),
            ("{\n  \"id\": 1,\n  \"password\": \"pw-legacy-1\",\n  \"user\": {\"api_token\": \"tok-legacy-1\"}\n}\n",
             "{\n  \"id\": 2,\n  \"password\": \"pw-cand-1\",\n  \"user\": {\"api_token\": \"tok-cand-1\"}\n}\n", "text/plain"),
            (#"{"id":1,"password":"pw-legacy-1","user":{"api_token":"tok-legacy-1"},"#,
             #"{"id":2,"password":"pw-cand-1","user":{"api_token":"tok-cand-1"},"#, "application/json"),
        ]
    )
    func noSecretIsStored(legacy: String, candidate: String, contentType: String) throws {
        let row = try Self.stored(legacy: legacy, candidate: candidate, contentType: contentType)
        #expect(row.outcome == "mismatch")
        #expect(row.discrepancies.contains { $0.kind == "body_changed" }, "compared as text")
        for text in Self.storedTexts(row) {
            for secret in ["pw-legacy-1", "pw-cand-1", "tok-legacy-1", "tok-cand-1"] {
                #expect(!text.contains(secret), "stored: \(text)")
            }
        }
    }

    @Test("the lines of a text body that hold no redacted path are stored as they are")
    func otherLinesAreKept() throws {
        let row = try Self.stored(legacy: "<p>3 comments</p>\n", candidate: "<p>4 comments</p>\n", contentType: "text/html")
        #expect(row.discrepancies.map(\.legacyValue) == [#""line 1: <p>3 comments</p>""#])
        #expect(row.discrepancies.map(\.candidateValue) == [#""line 1: <p>4 comments</p>""#])
    }
}
