import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareJSON
import Testing
@testable import TapCompareLedger

@Suite("Redaction")
struct RedactorTests {
    @Test func defaultSensitiveHeadersAreAlwaysRedacted() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(headers: ["X-Api-Key"]))
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer t0k3n")
        headers.add(name: "Proxy-Authorization", value: "Basic cHJveHk=")
        headers.add(name: "Cookie", value: "a=1")
        headers.add(name: "x-api-key", value: "k")
        headers.add(name: "Accept", value: "*/*")
        let (text, truncated) = redactor.requestText(RequestSnapshot(method: .GET, uri: "/a", headers: headers))
        #expect(!truncated)
        #expect(text == "GET /a HTTP/1.1\r\nauthorization: [REDACTED]\r\nProxy-Authorization: [REDACTED]\r\nCookie: [REDACTED]\r\nx-api-key: [REDACTED]\r\nAccept: */*\r\n\r\n")
    }

    @Test func queryParameters() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(queryParameters: ["token", "api key"]))
        #expect(redactor.redactQuery(in: "/a?token=abc&page=2") == "/a?token=[REDACTED]&page=2")
        #expect(redactor.redactQuery(in: "/a?page=2&token=abc#frag") == "/a?page=2&token=[REDACTED]#frag")
        #expect(redactor.redactQuery(in: "/a?api+key=1&api%20key=2") == "/a?api+key=[REDACTED]&api%20key=[REDACTED]")
        #expect(redactor.redactQuery(in: "/a?tokens=keep") == "/a?tokens=keep")
        #expect(redactor.redactQuery(in: "/a") == "/a")
    }

    @Test func queryParametersAfterASemicolon() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(queryParameters: ["api_key", "token"]))
        #expect(redactor.redactQuery(in: "/a?x=1;api_key=s3cret") == "/a?x=1;api_key=[REDACTED]")
        #expect(redactor.redactQuery(in: "/a?token=t;x=1&api_key=k;y=2") == "/a?token=[REDACTED];x=1&api_key=[REDACTED];y=2")
        #expect(redactor.redactQuery(in: "/a?x=1;y=2") == "/a?x=1;y=2")
    }

    @Test func jsonPathsInDiscrepancies() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.user.email", "$.items[*].token", "$..password"]))
        func redacted(_ path: String, _ value: String = "\"v\"") -> String? {
            redactor.redact(LedgerDiscrepancy(path: path, field: "f", kind: "value_changed", legacyValue: value, candidateValue: value, classification: "regression")).legacyValue
        }
        #expect(redacted("/user/email") == "\"[REDACTED]\"")
        let user = try #require(redacted("/user", #"{"email":"a@b","name":"Ada"}"#))
        #expect(!user.contains("a@b") && user.contains("Ada"), "a value containing a redacted path is redacted inside")
        #expect(redacted("/user/name") == "\"v\"")
        #expect(redacted("/items/3/token") == "\"[REDACTED]\"")
        #expect(redacted("/items/3/id") == "\"v\"")
        #expect(redacted("/a/b/password") == "\"[REDACTED]\"")
        let body = try #require(redacted("", #"{"user":{"email":"x@y"},"items":[{"token":"t","id":1}],"k":{"password":"p"}}"#))
        #expect(!body.contains("x@y") && !body.contains("\"t\"") && !body.contains("\"p\""), "whole-body values are redacted inside")
        #expect(body.contains("\"id\":1"))
    }

    @Test func missingValuesStayMissing() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.secret"]))
        let d = redactor.redact(LedgerDiscrepancy(path: "/secret", field: "$.secret", kind: "missing_in_candidate", legacyValue: "1", candidateValue: nil, classification: "regression"))
        #expect(d.legacyValue == "\"[REDACTED]\"")
        #expect(d.candidateValue == nil)
    }

    @Test func jsonPathsInBodies() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.user.email", "$.items[*].token"]))
        let body = #"{"user":{"email":"a@b.c","name":"Ada"},"items":[{"token":"t1","id":1},{"token":"t2","id":2}]}"#
        let stored = redactor.redactBody(ByteBuffer(string: body))
        #expect(!stored.contains("a@b.c") && !stored.contains("t1") && !stored.contains("t2"))
        #expect(stored.contains("Ada"))
        #expect(stored.contains("[REDACTED]"))
        #expect(redactor.redactBody(ByteBuffer(string: "not json")) == "not json")
    }

    /// A decoder standing in for the comparison's (this module does not link it): reverses the bytes of a body
    /// marked `x-reversed`, and refuses anything else, as `BodyDecoder` refuses `br`.
    struct ReversingDecoder: ContentDecoding {
        func decodeContent(_ body: ByteBuffer, contentEncoding: [String]) -> Result<ByteBuffer, ContentDecodingFailure> {
            guard contentEncoding == ["x-reversed"] else {
                return .failure(ContentDecodingFailure(kind: .undecodable, reason: "content-encoding '\(contentEncoding.joined())' is not decoded"))
            }
            return .success(ByteBuffer(bytes: Array(body.readableBytesView.reversed())))
        }
    }

    @Test func encodedBodiesAreRedactedDecodedOrWithheld() throws {
        let paths = RedactionConfiguration(jsonPaths: ["$.password"])
        let secret = #"{"user":"ann","password":"pw-secret"}"#
        let encoded = ByteBuffer(bytes: Array(secret.utf8.reversed()))
        let redactor = try Redactor(configuration: paths, decoder: ReversingDecoder())
        #expect(redactor.bodySample(encoded, contentEncoding: ["x-reversed"]) == .stored(#"{"user":"ann","password":"[REDACTED]"}"#))
        guard case .withheld(let other) = redactor.bodySample(encoded, contentEncoding: ["br"]) else {
            Issue.record("an undecodable body was stored")
            return
        }
        #expect(other.reason == .undecodable)
        #expect(other.text.hasPrefix("[WITHHELD] body not stored: content-encoding 'br' is not decoded"))
        // No decoder at all: an encoded body is withheld, never stored as it came.
        let blind = try Redactor(configuration: paths)
        guard case .withheld = blind.bodySample(encoded, contentEncoding: ["gzip"]) else {
            Issue.record("an encoded body was stored without a decoder")
            return
        }
        // Identity bodies are redacted as before; without json_paths, bodies are stored as they came.
        #expect(blind.bodySample(ByteBuffer(string: secret), contentEncoding: ["identity"]) == .stored(#"{"user":"ann","password":"[REDACTED]"}"#))
        #expect(try Redactor(configuration: .init()).bodySample(encoded, contentEncoding: ["gzip"]) == .stored(String(secret.reversed())))
    }

    /// JSON cut short (or broken) cannot have its paths found: with json_paths configured it is not stored.
    @Test func unparseableJSONIsWithheldWhenPathsAreConfigured() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.password"]))
        guard case .withheld(let withheld) = redactor.bodySample(ByteBuffer(string: #"{"user":"ann","password":"pw-sec"#), contentEncoding: []) else {
            Issue.record("a truncated JSON body was stored")
            return
        }
        #expect(withheld.reason == .unparseable)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let (text, _, requestWithheld) = redactor.requestSample(RequestSnapshot(method: .POST, uri: "/login", headers: headers, body: ByteBuffer(string: #"{"password":"pw-sec"#)))
        #expect(!text.contains("pw-sec"))
        #expect(requestWithheld?.reason == .unparseable)
        #expect(redactor.bodySample(ByteBuffer(string: "plain text"), contentEncoding: []) == .stored("plain text"))
        // A body_unparseable discrepancy holds the raw start of the body: replaced.
        let d = redactor.redact(LedgerDiscrepancy(
            path: "", field: "$", kind: "body_unparseable", legacyValue: #""unexpected end: {"password":"pw-sec""#,
            candidateValue: #"{"password":"pw-sec2","ok":true}"#, classification: "regression"
        ))
        #expect(d.legacyValue?.contains("pw-sec") == false)
        #expect(d.candidateValue == #"{"password":"[REDACTED]","ok":true}"#)
    }

    @Test func binaryBodiesAreBase64() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration())
        #expect(redactor.redactBody(ByteBuffer(bytes: [0xFF, 0xFE, 0x00])) == "base64://4A")
    }

    @Test(arguments: ["user.email", "$.a[", "$.a[x]", "$..", "$.a..", "$['a"])
    func invalidJSONPathsAreRejected(path: String) {
        #expect(throws: LedgerError.self) { try Redactor(configuration: RedactionConfiguration(jsonPaths: [path])) }
    }

    @Test func samplesAreCappedAtACharacterBoundary() {
        let (text, cut) = "aé€😀".capped(toUTF8Bytes: 5)  // a(1) é(2) €(3): 5 bytes cut inside €
        #expect(text == "aé")
        #expect(cut)
        #expect("abc".capped(toUTF8Bytes: 3) == ("abc", false))
    }

    @Test func nonJSONValuesAreStoredAsJSONStrings() {
        #expect(LedgerRecordEncoder.storableJSON("42") == "42")
        #expect(LedgerRecordEncoder.storableJSON(#"{"a":[1,2.5e3,true,null,"x\n"]}"#) == #"{"a":[1,2.5e3,true,null,"x\n"]}"#)
        #expect(LedgerRecordEncoder.storableJSON("plain text") == #""plain text""#)
        #expect(LedgerRecordEncoder.storableJSON("01") == #""01""#)
        #expect(LedgerRecordEncoder.storableJSON(#""\u0000""#) == #""\"\\u0000\"""#)
        #expect(LedgerRecordEncoder.storableJSON("say \"hi\"\t") == #""say \"hi\"\t""#)
    }

    /// The candidate's version header is stored bounded, and never when its header is one whose values are
    /// redacted (whatever the configuration let through).
    @Test func candidateVersionIsBoundedAndRedactedByHeaderName() throws {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init(headers: ["X-Build-Token"])), instance: "i", maxSampleBytes: 40)
        var record = SyntheticComparisons.make(index: 1)
        #expect(encoder.encode(record).candidateVersion == nil)
        record.candidateVersion = CandidateVersion(header: "X-Version", value: "2.4.1")
        #expect(encoder.encode(record).candidateVersion == "2.4.1")
        record.candidateVersion = CandidateVersion(header: "X-Version", value: String(repeating: "9", count: 200) + "\u{7}")
        #expect(encoder.encode(record).candidateVersion == String(repeating: "9", count: 64))
        for header in ["x-build-token", "Authorization", "Set-Cookie"] {
            record.candidateVersion = CandidateVersion(header: header, value: "secret-build")
            #expect(encoder.encode(record).candidateVersion == Redactor.marker, "\(header)")
        }
    }

    /// Found in review: with `redact.headers: [X-Request-Id]` the header was redacted in the request sample, but the
    /// `request_id` column kept its value in clear.
    @Test("the request_id column is [REDACTED] when the request id's header is a redacted one, as the header is")
    func requestIDOfARedactedHeaderIsRedacted() throws {
        var record = SyntheticComparisons.make(index: 1)
        record.requestID = "sess-7f3c-secret"
        record.request?.headers.add(name: "X-Request-Id", value: "sess-7f3c-secret")
        let redacting = LedgerRecordEncoder(redactor: try Redactor(configuration: .init(headers: ["x-request-id"])), instance: "i", maxSampleBytes: 4096)
        let stored = redacting.encode(record)
        #expect(stored.requestID == Redactor.marker)
        #expect(stored.requestSample?.contains("X-Request-Id: [REDACTED]") == true)
        #expect(stored.requestSample?.contains("sess-7f3c-secret") == false)
        let correlation = RedactionConfiguration(headers: ["X-Correlation-Id"], requestIDHeader: "x-correlation-id")
        #expect(LedgerRecordEncoder(redactor: try Redactor(configuration: correlation), instance: "i", maxSampleBytes: 4096).encode(record).requestID == Redactor.marker)
        // Another header redacted, or the id's header not: the id is kept.
        let other = RedactionConfiguration(headers: ["X-Request-Id"], requestIDHeader: "X-Correlation-Id")
        #expect(LedgerRecordEncoder(redactor: try Redactor(configuration: other), instance: "i", maxSampleBytes: 4096).encode(record).requestID == "sess-7f3c-secret")
        #expect(LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 4096).encode(record).requestID == "sess-7f3c-secret")
    }

    @Test func samplesOnlyForMismatchesAndErrors() throws {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 40)
        var record = SyntheticComparisons.make(index: 1)
        let mismatch = encoder.encode(record)
        #expect(mismatch.requestSample != nil && mismatch.legacySample != nil && mismatch.candidateSample != nil)
        #expect(mismatch.legacySample!.utf8.count <= 40)
        #expect(mismatch.samplesTruncated)
        record.outcome = .match
        record.discrepancies = []
        let match = encoder.encode(record)
        #expect(match.requestSample == nil && match.legacySample == nil && match.candidateSample == nil)
        #expect(match.discrepancyCount == 0)
    }

    /// `redact.json_paths` name a gRPC call's fields as its discrepancies do (`$.messages[*]…`): the same paths keep
    /// them out of the stored messages, a whole message included, and a path of one message only touches that one.
    @Test func grpcMessagesAreRedactedByTheDiffsPaths() throws {
        let redactor = try Redactor(configuration: .init(jsonPaths: ["$.messages[*].author.email", "$.messages[1].token", "$.messages[2]"]))
        let message = #"{"id":"7","author":{"name":"ada","email":"ada@example.com"},"token":"t-1"}"#
        #expect(redactor.redactGRPCMessage(message, index: 0) == #"{"id":"7","author":{"name":"ada","email":"[REDACTED]"},"token":"t-1"}"#)
        #expect(redactor.redactGRPCMessage(message, index: 1) == #"{"id":"7","author":{"name":"ada","email":"[REDACTED]"},"token":"[REDACTED]"}"#)
        #expect(redactor.redactGRPCMessage(message, index: 2) == #""[REDACTED]""#)
        #expect(try Redactor(configuration: .init()).redactGRPCMessage(message, index: 0) == message)
    }

    @Test("a sensitive gRPC trailer that differs (trailer:grpc-message) is stored redacted, like a header")
    func sensitiveTrailers() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(headers: ["grpc-message"]))
        let d = redactor.redact(LedgerDiscrepancy(
            path: "", field: "trailer:grpc-message", kind: "header", legacyValue: nil, candidateValue: #""token abc123 invalid""#,
            classification: "regression"
        ))
        #expect(d.legacyValue == nil)
        #expect(d.candidateValue == "\"[REDACTED]\"")
        let kept = redactor.redact(LedgerDiscrepancy(
            path: "", field: "trailer:grpc-status-details", kind: "header", legacyValue: #""a""#, candidateValue: #""b""#, classification: "regression"
        ))
        #expect(kept.legacyValue == #""a""# && kept.candidateValue == #""b""#)
    }

    @Test("a body compared as text keeps no value at a redacted path: a JSON line is redacted inside, a line of JSON members that is no document is withheld, prose stays")
    func textLines() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.password", "$.user.token"]))
        func stored(_ line: String) -> String? {
            redactor.redact(LedgerDiscrepancy(
                path: "", field: "$", kind: "body_changed", legacyValue: JSONValue.quoted(line), candidateValue: nil, classification: "regression"
            )).legacyValue
        }
        let compact = try #require(stored(#"line 1: {"password":"pw-1","user":{"token":"t-1","name":"Ada"}}"#))
        #expect(!compact.contains("pw-1") && !compact.contains("t-1"))
        #expect(compact.contains("line 1: ") && compact.contains("Ada"), "the line's number and its other values stay")
        let member = try #require(stored(#"line 3:   "password": "pw-2","#))
        #expect(!member.contains("pw-2") && member.contains("line 3: ") && member.contains("[REDACTED]"))
        let opening = try #require(stored(#"line 2: {"user": {"token": "t-2","#))
        #expect(!opening.contains("t-2"), "a line that starts like a document but is cut is withheld")
        #expect(stored("line 4: <p>Hello, world: 3 comments</p>") == JSONValue.quoted("line 4: <p>Hello, world: 3 comments</p>"))
        #expect(stored(#"line 5: {"id":1}"#) == JSONValue.quoted(#"line 5: {"id":1}"#), "a document without the paths is kept as it was")
        let digest = "812 bytes, sha256 0a1b"
        #expect(stored(digest) == JSONValue.quoted(digest))
        let plain = try Redactor(configuration: RedactionConfiguration())
        let unredacted = plain.redact(LedgerDiscrepancy(
            path: "", field: "$", kind: "body_changed", legacyValue: JSONValue.quoted(#"line 3:   "password": "pw-2","#), candidateValue: nil,
            classification: "regression"
        ))
        #expect(unredacted.legacyValue == JSONValue.quoted(#"line 3:   "password": "pw-2","#), "without json_paths nothing is secret by configuration")
    }

    @Test("a duplicate_key value lists the key's occurrences, and a path below the key is redacted in every one of them")
    func duplicateKeyOccurrences() throws {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.user.profile.ssn", "$.user.secret"]))
        func stored(_ path: String, _ value: String) -> String? {
            redactor.redact(LedgerDiscrepancy(path: path, field: "f", kind: "duplicate_key", legacyValue: value, candidateValue: nil, classification: "regression"))
                .legacyValue
        }
        let profiles = try #require(stored("/user/profile", #"[{"ssn":"111","name":"a"},{"ssn":"222","name":"b"}]"#))
        #expect(!profiles.contains("111") && !profiles.contains("222"))
        #expect(profiles.contains(#""name":"a""#) && profiles.contains(#""name":"b""#))
        #expect(stored("/user/secret", #"["s1","s2"]"#) == "\"[REDACTED]\"", "a repeated key that is itself redacted")
        #expect(stored("/user/other", #"[1,2]"#) == #"[1,2]"#)
    }
}
