import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

@Suite("Comparator: status, headers, bodies, outcomes")
struct ComparatorTests {
    let comparator = Comparator()

    func compare(_ legacy: ResponseSnapshot, _ candidate: ResponseSnapshot, rules: RuleSet = .empty) -> ComparisonRecord {
        Comparator(ruleSet: rules).compare(Fixtures.exchange(legacy: legacy, candidate: .response(candidate, latency: .milliseconds(5))))
    }

    @Test("a match keeps statuses, latencies and bodies on the record")
    func match() {
        let record = self.compare(Fixtures.response(#"{"a":1}"#), Fixtures.response(#"{"a":1.0}"#))
        #expect(record.outcome == .match)
        #expect(record.discrepancies.isEmpty)
        #expect(record.legacyStatus == 200 && record.candidateStatus == 200)
        #expect(record.candidateLatency == .milliseconds(5))
        #expect(record.route == "GET /api/v1/comments/{id}")
        #expect(record.candidateBody == ByteBuffer(string: #"{"a":1.0}"#))
    }

    @Test("the status is always compared")
    func status() {
        let record = self.compare(Fixtures.response("{}", status: .notFound), Fixtures.response("{}", status: .gone))
        #expect(record.outcome == .mismatch)
        #expect(record.discrepancies == [Discrepancy(path: "", field: "status", kind: .status, legacyValue: "404", candidateValue: "410")])
    }

    @Test("content-type is compared with parameters normalized; other headers only when asked")
    func headers() {
        let same = self.compare(
            Fixtures.response("{}", headers: [("Content-Type", "application/json; charset=\"UTF-8\""), ("X-Other", "1")]),
            Fixtures.response("{}", headers: [("content-type", "application/json;charset=utf-8"), ("X-Other", "2")])
        )
        #expect(same.outcome == .match)
        let different = self.compare(
            Fixtures.response("{}", headers: [("Content-Type", "application/json")]),
            Fixtures.response("{}", headers: [("Content-Type", "text/plain")])
        )
        #expect(different.discrepancies.contains(Discrepancy(path: "", field: "header:content-type", kind: .header, legacyValue: #""application/json""#, candidateValue: #""text/plain""#)))
        let missing = self.compare(Fixtures.response("{}", headers: [("Content-Type", "application/json")]), Fixtures.response("{}", headers: []))
        #expect(missing.discrepancies.first == Discrepancy(path: "", field: "header:content-type", kind: .header, legacyValue: #""application/json""#, candidateValue: nil))
    }

    @Test(
        "equivalent media types are one content-type: case, parameter order and spacing, a default charset",
        arguments: [
            ("application/json; charset=utf-8", "application/json"),
            ("application/json; charset=UTF-8", "Application/JSON"),
            ("application/problem+json;charset=\"utf-8\"", "application/problem+json"),
            ("text/plain", "text/plain; charset=US-ASCII"),
            ("text/html; charset=utf-8; level=1", "TEXT/HTML;Level=1;CHARSET=utf-8"),
            ("multipart/form-data; boundary=\"a;b\"", "multipart/form-data;boundary=\"a;b\""),
            ("text/csv; header=present; header=present", "text/csv; header=present"),
            ("APPLICATION/Problem+JSON", "application/problem+json; charset=utf-8"),
            ("application/vnd.api+json", "Application/Vnd.API+JSON"),
            ("text/plain", "text/plain "),
        ]
    )
    func equivalentMediaTypes(_ legacy: String, _ candidate: String) {
        let record = self.compare(Fixtures.response("{}", headers: [("Content-Type", legacy)]), Fixtures.response("{}", headers: [("Content-Type", candidate)]))
        #expect(record.outcome == .match, "\(record.discrepancies)")
    }

    @Test(
        "different media types are still found, and reported as sent",
        arguments: [
            ("text/html; charset=utf-8", "application/json; charset=utf-8"),
            ("text/plain; charset=utf-8", "text/plain; charset=iso-8859-1"),
            // US-ASCII, not UTF-8, is text/plain's default (RFC 2046, RFC 6657).
            ("text/plain; charset=utf-8", "text/plain"),
            ("application/json; charset=iso-8859-1", "application/json"),
            ("text/html; charset=utf-8", "text/html"),
            ("multipart/form-data; boundary=ABC", "multipart/form-data; boundary=abc"),
            ("application/json", "application/vnd.api+json"),
            ("Application/JSON", "application/jsonp"),
        ]
    )
    func differentMediaTypes(_ legacy: String, _ candidate: String) {
        let record = self.compare(Fixtures.response("{}", headers: [("Content-Type", legacy)]), Fixtures.response("{}", headers: [("Content-Type", candidate)]))
        #expect(record.discrepancies == [
            Discrepancy(path: "", field: "header:content-type", kind: .header, legacyValue: JSONValue.quoted(legacy), candidateValue: JSONValue.quoted(candidate))
        ])
    }

    @Test("a body typed Application/Problem+JSON is compared as JSON, field by field")
    func upperCaseJSONTypeIsJSON() {
        let headers = [("Content-Type", "Application/Problem+JSON")]
        let record = self.compare(Fixtures.response(#"{"a":1,"b":2}"#, headers: headers), Fixtures.response(#"{"b":2,"a":3}"#, headers: headers))
        #expect(record.discrepancies == [Discrepancy(path: "/a", field: "$.a", kind: .valueChanged, legacyValue: "1", candidateValue: "3")])
    }

    @Test("the example rules' content-type comparison takes application/json with and without charset=utf-8 as equal")
    func exampleRulesNormalizeCharset() throws {
        let rules = try RuleSetLoader.load(directory: TestData.repo.appendingPathComponent("diff-rules").path)
        let headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
        let record = self.compare(
            Fixtures.response(#"{"id":1}"#, headers: headers),
            Fixtures.response(#"{"id":1}"#, headers: [("content-type", "application/json"), ("cache-control", "no-store")]),
            rules: rules
        )
        #expect(record.outcome == .match, "\(record.discrepancies)")
    }

    @Test("gzip and deflate bodies are decoded before comparing")
    func contentEncoding() throws {
        var plain = ByteBuffer(string: #"{"id":1,"body":"hello"}"#)
        let gzipped = try plain.compress(with: .gzip())
        plain = ByteBuffer(string: #"{"body":"hello","id":1}"#)
        let deflated = try plain.compress(with: .zlib())
        let legacy = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json", "content-encoding": "gzip"], body: gzipped)
        let candidate = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json", "content-encoding": "deflate"], body: deflated)
        #expect(self.compare(legacy, candidate).outcome == .match)
        var changed = ByteBuffer(string: #"{"body":"hellO","id":1}"#)
        let changedGzip = try changed.compress(with: .gzip())
        let record = self.compare(legacy, ResponseSnapshot(status: .ok, headers: ["content-type": "application/json", "content-encoding": "gzip"], body: changedGzip))
        #expect(record.discrepancies.map(\.path) == ["/body"])
    }

    @Test("a body that inflates past the ratio limit is skipped with a reason, not compared")
    func zipBomb() throws {
        var big = ByteBuffer(repeating: UInt8(ascii: " "), count: 4 << 20)
        let bomb = try big.compress(with: .gzip())
        let legacy = ResponseSnapshot(status: .ok, headers: ["content-type": "application/json", "content-encoding": "gzip"], body: bomb)
        let record = self.compare(legacy, Fixtures.response("{}"))
        #expect(record.outcome == .skipped)
        #expect(record.reason?.hasPrefix("response_too_large") == true)
        #expect(record.discrepancies.isEmpty)
    }

    @Test("one side not JSON is body_unparseable; both not JSON compare as text")
    func unparseable() {
        let record = self.compare(Fixtures.response(#"{"a":1}"#), Fixtures.response("<html>oops</html>"))
        #expect(record.discrepancies.count == 1)
        #expect(record.discrepancies.first?.kind == .bodyUnparseable)
        #expect(record.discrepancies.first?.legacyValue == #"{"a":1}"#)
        #expect(record.discrepancies.first?.candidateValue?.contains("<html>oops</html>") == true)
        let both = self.compare(Fixtures.response("{broken"), Fixtures.response("{broken!"))
        #expect(both.discrepancies.map(\.kind) == [.bodyChanged])
        #expect(self.compare(Fixtures.response("{same broken"), Fixtures.response("{same broken")).outcome == .match)
    }

    @Test("text bodies compare line by line and keep the differing lines")
    func text() {
        let headers = [("content-type", "text/plain")]
        let record = self.compare(Fixtures.response("a\nb\nc\nd\n", headers: headers), Fixtures.response("a\nB\nc\nd\ne\n", headers: headers))
        #expect(record.discrepancies == [
            Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: #""line 2: b""#, candidateValue: #""line 2: B""#),
            Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: nil, candidateValue: #""line 5: e""#),
        ])
    }

    @Test("form bodies compare as key/value pairs")
    func form() {
        let headers = [("content-type", "application/x-www-form-urlencoded")]
        #expect(self.compare(Fixtures.response("a=1&b=x+y", headers: headers), Fixtures.response("b=x%20y&a=1", headers: headers)).outcome == .match)
        let record = self.compare(Fixtures.response("a=1&b=2", headers: headers), Fixtures.response("a=1&b=3&c=4", headers: headers))
        #expect(record.discrepancies == [
            Discrepancy(path: "/b", field: "$.b", kind: .bodyChanged, legacyValue: #""2""#, candidateValue: #""3""#),
            Discrepancy(path: "/c", field: "$.c", kind: .bodyChanged, legacyValue: nil, candidateValue: #""4""#),
        ])
    }

    @Test("other bodies compare by length and SHA-256")
    func binary() {
        let headers = [("content-type", "application/octet-stream")]
        let record = self.compare(Fixtures.response("abc", headers: headers), Fixtures.response("abd", headers: headers))
        #expect(record.discrepancies.count == 1)
        #expect(record.discrepancies.first?.kind == .bodyChanged)
        #expect(record.discrepancies.first?.legacyValue == #""3 bytes, sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#)
    }

    @Test("candidate failures, timeouts and skips map to outcomes with a reason and no diff")
    func candidateResults() {
        let legacy = Fixtures.response("{}")
        let failed = comparator.compare(Fixtures.exchange(legacy: legacy, candidate: .failed(reason: "connection refused", latency: .milliseconds(1))))
        #expect(failed.outcome == .candidateError)
        #expect(failed.reason == "connection refused")
        let timedOut = comparator.compare(Fixtures.exchange(legacy: legacy, candidate: .timedOut(after: .seconds(2))))
        #expect(timedOut.outcome == .candidateTimeout)
        #expect(timedOut.reason?.isEmpty == false)
        let skipped = comparator.compare(Fixtures.exchange(legacy: legacy, candidate: .skipped(.bodyTooLarge)))
        #expect(skipped.outcome == .skipped)
        #expect(skipped.reason == "body_too_large")
        for record in [failed, timedOut, skipped] { #expect(record.discrepancies.isEmpty) }
    }

    @Test("a truncated body is not compared: skipped as response_too_large")
    func truncated() {
        var legacy = Fixtures.response(#"{"a":1}"#)
        legacy.bodyLength = 10_000
        let record = self.compare(legacy, Fixtures.response(#"{"a":2}"#))
        #expect(record.outcome == .skipped)
        #expect(record.reason == "response_too_large")
    }
}
