@testable import TapCompareCapture
import TapCompareJSON
import TapCompareLedger
import Testing

@Suite struct JSONFieldRedactorTests {
    static func redact(_ text: String, _ paths: [String]) throws -> String? {
        JSONFieldRedactor.redact(text, paths: try paths.map { try JSONPath(parsing: $0) })
    }

    @Test func redactsSelectedValuesAndKeepsEveryOtherByte() throws {
        let body = #"{ "id": 9007199254740993, "author": {"email": "a@b.c", "name": "Ada"}, "n": 1.50, "items": [{"token": {"x": 1}}, {"token": "t2"}] }"#
        #expect(try Self.redact(body, ["$.author.email"]) == #"{ "id": 9007199254740993, "author": {"email": "[REDACTED]", "name": "Ada"}, "n": 1.50, "items": [{"token": {"x": 1}}, {"token": "t2"}] }"#)
        #expect(try Self.redact(body, ["$.items[*].token"]) == #"{ "id": 9007199254740993, "author": {"email": "a@b.c", "name": "Ada"}, "n": 1.50, "items": [{"token": "[REDACTED]"}, {"token": "[REDACTED]"}] }"#)
        #expect(try Self.redact(body, ["$.items[1].token"])?.contains(#"{"token": {"x": 1}}, {"token": "[REDACTED]"}"#) == true)
        #expect(try Self.redact(body, ["$..email", "$['n']"])?.contains(#""email": "[REDACTED]""#) == true)
        #expect(try Self.redact(body, ["$..email", "$['n']"])?.contains(#""n": "[REDACTED]""#) == true)
        #expect(try Self.redact(#"{"k\u0065y": "secret"}"#, ["$.key"]) == #"{"k\u0065y": "[REDACTED]"}"#)
    }

    @Test func leavesNonJSONAndUnmatchedBodiesAlone() throws {
        #expect(try Self.redact("not json", ["$.a"]) == nil)
        #expect(try Self.redact(#"{"a": 1"#, ["$.a"]) == nil)
        #expect(try Self.redact(#"{"b": 1}"#, ["$.a"]) == nil)
        #expect(try Self.redact(#"[1, 2]"#, ["$[5]"]) == nil)
    }

    /// The ledger and a capture read `redact.json_paths` with the one TapCompareJSON JSONPath: what one accepts,
    /// the other does (`$..*` included), and a path outside the subset is refused by both, naming the key.
    @Test func capturesAndTheLedgerReadTheSamePaths() throws {
        let body = #"{"user": {"email": "a@b.c", "tags": ["x"]}, "n": 1}"#
        #expect(try Self.redact(body, ["$..*"]) == #"{"user": "[REDACTED]", "n": "[REDACTED]"}"#)
        #expect(try Self.redact(body, ["$.user.*"]) == #"{"user": {"email": "[REDACTED]", "tags": "[REDACTED]"}, "n": 1}"#)
        let everything = RedactionConfiguration(jsonPaths: ["$..*"])
        _ = try CaptureRedactor(everything)
        _ = try Redactor(configuration: everything)
        for bad in ["author.email", "$.", "$[x]", "$[", "$.."] {
            let configuration = RedactionConfiguration(jsonPaths: [bad])
            let capture = #expect(throws: CaptureError.self, "\(bad)") { _ = try CaptureRedactor(configuration) }
            #expect(capture.map { "\($0)".contains("redact.json_paths") } == true, "\(String(describing: capture))")
            #expect(throws: LedgerError.self, "\(bad)") { _ = try Redactor(configuration: configuration) }
        }
    }
}
