import CompressNIO
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareJSON
import TapCompareRules
import TapCompareTestSupport
import Testing

/// gRPC responses compared as status, trailers and messages (issue 18), on the comment API of
/// `fixtures/grpc/comments.proto`.
@Suite struct GRPCComparisonTests {
    static let getComment = "/tapcompare.demo.Comments/GetComment"
    static let listComments = "/tapcompare.demo.Comments/ListComments"

    static func descriptors() throws -> DescriptorSet { try DescriptorSet.load(file: TestPaths.fixture("grpc/comments.pb")) }

    static func comment(id: Int64 = 42, body: String = "first!", status: Int64 = 1, tags: [String] = ["a", "b"], author: String = "ada") -> ProtobufWriter {
        var w = ProtobufWriter().varint(1, id).string(2, body).varint(3, status)
        for tag in tags { w = w.string(4, tag) }
        return w.message(5, ProtobufWriter().string(1, author).uvarint(2, 7)).mapEntry(6, "lang", "en")
    }

    /// An HTTP/2 gRPC answer: 200, `application/grpc`, the messages framed, `grpc-status` in the trailers (or, for
    /// a trailers-only answer, in the headers with no body).
    static func response(
        _ messages: [[UInt8]], status: String = "0", message: String? = nil, trailersOnly: Bool = false,
        headers extra: [(String, String)] = [], trailers moreTrailers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> ResponseSnapshot {
        var headers = HTTPHeaders([("content-type", "application/grpc")] + extra)
        var trailers: [(name: String, value: String)] = [("grpc-status", status)]
        if let message { trailers.append(("grpc-message", message)) }
        trailers += moreTrailers.map { (name: $0.0, value: $0.1) }
        if trailersOnly {
            for t in trailers { headers.add(name: t.name, value: t.value) }
            trailers = []
        }
        return ResponseSnapshot(
            status: .ok, version: .http2, headers: headers, body: ByteBuffer(bytes: body ?? GRPCFraming.body(messages)), trailers: trailers
        )
    }

    static func compare(
        _ legacy: ResponseSnapshot, _ candidate: ResponseSnapshot, method: String = getComment, descriptors: DescriptorSet? = nil,
        rules: RuleSet = .empty, trailers: [String] = GRPCConfiguration.Defaults.compareTrailers
    ) -> ComparisonRecord {
        let configuration = Comparator.Configuration(grpc: .init(descriptors: descriptors, configuration: GRPCConfiguration(compareTrailers: trailers)))
        let exchange = Exchange(
            requestID: "req-1", route: "POST \(method)",
            request: RequestSnapshot(method: .POST, uri: method, headers: HTTPHeaders([("content-type", "application/grpc")])),
            legacy: legacy, legacyLatency: .milliseconds(2), candidate: .response(candidate, latency: .milliseconds(3))
        )
        return Comparator(ruleSet: rules, configuration: configuration).compare(exchange)
    }

    func described(_ legacy: ProtobufWriter, _ candidate: ProtobufWriter) throws -> [Discrepancy] {
        let record = Self.compare(Self.response([legacy.bytes]), Self.response([candidate.bytes]), descriptors: try Self.descriptors())
        #expect(record.reason == nil)
        return record.discrepancies
    }

    @Test func equalAnswersGiveNone() throws {
        let same = Self.compare(Self.response([Self.comment().bytes]), Self.response([Self.comment().bytes]), descriptors: try Self.descriptors())
        #expect(same.outcome == .match)
        // The same fields in another wire order are the same message.
        let reordered = ProtobufWriter().string(2, "first!").varint(1, 42).varint(3, 1).string(4, "a").string(4, "b")
            .mapEntry(6, "lang", "en").message(5, ProtobufWriter().uvarint(2, 7).string(1, "ada"))
        #expect(try described(Self.comment(), reordered).isEmpty)
    }

    @Test func aChangedValueIsFoundAtItsField() throws {
        let found = try described(Self.comment(), Self.comment(body: "second"))
        #expect(found.count == 1)
        #expect(found.first?.path == "/messages/0/body")
        #expect(found.first?.field == "$.messages[*].body")
        #expect(found.first?.kind == .valueChanged)
        #expect(found.first?.legacyValue == "\"first!\"")
        #expect(found.first?.candidateValue == "\"second\"")
        #expect(try described(Self.comment(), Self.comment(author: "bob")).map(\.path) == ["/messages/0/author/name"])
    }

    @Test func aChangedWireTypeIsATypeChangeAtItsField() throws {
        let candidate = ProtobufWriter().varint(1, 42).uvarint(2, 7).varint(3, 1).string(4, "a").string(4, "b")
            .message(5, ProtobufWriter().string(1, "ada").uvarint(2, 7)).mapEntry(6, "lang", "en")
        let found = try described(Self.comment(), candidate)
        #expect(found.map(\.path) == ["/messages/0/body"])
        #expect(found.first?.kind == .typeChanged)
    }

    @Test func aChangedEnumIsReportedByName() throws {
        let found = try described(Self.comment(status: 1), Self.comment(status: 2))
        #expect(found.map(\.path) == ["/messages/0/status"])
        #expect(found.first?.legacyValue == "\"VISIBLE\"")
        #expect(found.first?.candidateValue == "\"HIDDEN\"")
    }

    @Test func aMissingRepeatedElementIsFound() throws {
        let found = try described(Self.comment(tags: ["a", "b"]), Self.comment(tags: ["a"]))
        #expect(found.count == 1)
        #expect(found.first?.path == "/messages/0/tags/1")
        #expect(found.first?.kind == .missingInCandidate)
    }

    @Test func int64BeyondTwoToThe53IsComparedExactly() throws {
        let found = try described(Self.comment(id: 9_007_199_254_740_993), Self.comment(id: 9_007_199_254_740_992))
        #expect(found.map(\.path) == ["/messages/0/id"])
        #expect(found.first?.legacyValue == "\"9007199254740993\"")
        #expect(found.first?.candidateValue == "\"9007199254740992\"")
    }

    @Test func anUnknownFieldIsKeptByNumber() throws {
        let found = try described(Self.comment(), Self.comment().uvarint(99, 1))
        #expect(found.map(\.path) == ["/messages/0/99"])
        #expect(found.first?.kind == .extraInCandidate)
    }

    @Test func aMissingStreamedMessageIsFoundAtItsIndex() throws {
        let three = [Self.comment(id: 1, body: "one"), Self.comment(id: 2, body: "two"), Self.comment(id: 3, body: "three")].map(\.bytes)
        let record = Self.compare(Self.response(three), Self.response([three[0], three[2]]), method: Self.listComments, descriptors: try Self.descriptors())
        #expect(record.outcome == .mismatch)
        #expect(record.discrepancies.map(\.path) == ["/messages/1"])
        #expect(record.discrepancies.first?.kind == .missingInCandidate)
    }

    @Test func aDifferentStatusIsFoundEvenInATrailersOnlyAnswer() throws {
        let record = Self.compare(
            Self.response([Self.comment().bytes]), Self.response([], status: "5", message: "comment 42 not found", trailersOnly: true),
            descriptors: try Self.descriptors()
        )
        let byField = Dictionary(grouping: record.discrepancies, by: \.field)
        #expect(byField["grpc-status"]?.first?.kind == .status)
        #expect(byField["grpc-status"]?.first?.legacyValue == "0")
        #expect(byField["grpc-status"]?.first?.candidateValue == "5")
        #expect(byField["trailer:grpc-message"]?.first?.candidateValue == "\"comment 42 not found\"")
        #expect(byField["trailer:grpc-message"]?.first?.legacyValue == nil)
        #expect(byField["$.messages[*]"]?.first?.kind == .missingInCandidate)
    }

    @Test func configuredTrailersAreCompared() {
        let legacy = Self.response([], trailers: [("x-shard", "eu-1")])
        let candidate = Self.response([], trailers: [("x-shard", "eu-2")])
        #expect(Self.compare(legacy, candidate).discrepancies.isEmpty)
        let found = Self.compare(legacy, candidate, trailers: ["x-shard"]).discrepancies
        #expect(found.map(\.field) == ["trailer:x-shard"])
    }

    @Test func withoutADescriptorPathsAreFieldNumbers() {
        let record = Self.compare(Self.response([Self.comment().bytes]), Self.response([Self.comment(author: "bob").bytes]))
        #expect(record.discrepancies.map(\.path) == ["/messages/0/5/1"])
        #expect(record.discrepancies.first?.field == "$.messages[*].5.1")
        #expect(record.discrepancies.first?.legacyValue == "\"ada\"")
    }

    @Test func diffRulesApplyByCallPath() throws {
        let rules = try RuleSetLoader.load(sources: [(name: "grpc.yml", text: """
            rules:
              - route: /tapcompare.demo.Comments/GetComment
                ignore: ['$.messages[*].body']
            """)])
        let record = Self.compare(
            Self.response([Self.comment().bytes]), Self.response([Self.comment(body: "changed").bytes]), descriptors: try Self.descriptors(), rules: rules
        )
        #expect(record.outcome == .match)
    }

    @Test func gzipCompressedMessagesAreInflated() throws {
        var plain = ByteBuffer(bytes: Self.comment().bytes)
        let gzipped = try plain.compress(with: .gzip())
        let candidate = Self.response([], headers: [("grpc-encoding", "gzip")], body: GRPCFraming.body([Array(gzipped.readableBytesView)], compressed: true))
        #expect(Self.compare(Self.response([Self.comment().bytes]), candidate, descriptors: try Self.descriptors()).outcome == .match)
    }

    @Test func anUndecodedCompressionIsNotComparableWithAReason() throws {
        let candidate = Self.response([], headers: [("grpc-encoding", "snappy")], body: GRPCFraming.body([[1, 2, 3]], compressed: true))
        let record = Self.compare(Self.response([Self.comment().bytes]), candidate)
        #expect(record.outcome == .skipped)
        #expect(record.reason == "grpc_not_comparable: candidate message 0: compressed with grpc-encoding 'snappy', which is not decoded (gzip and deflate are)")
    }

    @Test func aMalformedFrameIsNotComparableNeverACrash() {
        let legacy = Self.response([Self.comment().bytes])
        let truncated = Self.response([], body: Array(GRPCFraming.body([Self.comment().bytes]).dropLast(3)))
        let record = Self.compare(legacy, truncated)
        #expect(record.outcome == .skipped)
        #expect(record.reason?.hasPrefix("grpc_not_comparable: candidate body: message 0 at byte 0: truncated frame") == true)
        #expect(record.discrepancies.isEmpty)
    }

    @Test func aMalformedVarintIsNotComparableNeverACrash() throws {
        let bad = Self.response([[0x08, 0xFF, 0xFF]])
        let record = Self.compare(bad, Self.response([Self.comment().bytes]), descriptors: try Self.descriptors())
        #expect(record.outcome == .skipped)
        #expect(record.reason == "grpc_not_comparable: legacy message 0: not a protobuf message (truncated varint at byte 1)")
    }

    @Test func aMessageBeyondTheLimitIsNotComparable() {
        let big = ProtobufWriter().string(2, String(repeating: "x", count: 64)).bytes
        let configuration = Comparator.Configuration(grpc: .init(configuration: GRPCConfiguration(maxMessageBytes: 32)))
        let result = Comparator(configuration: configuration).compare(
            legacy: Self.response([big]), candidate: Self.response([big + [0x08, 0x01]]), rules: .none
        )
        #expect(result.skipReason?.contains("exceed grpc.max_message_bytes (32)") == true)
    }

    /// Legacy disagreeing with itself on its gRPC status explains a gRPC status discrepancy, not an HTTP one.
    @Test func aChangedGRPCStatusCoversOnlyGRPCStatus() {
        let legacyAgainstItself = ChangedPaths([Discrepancy(path: "", field: "grpc-status", kind: .status, legacyValue: "0", candidateValue: "14")])
        #expect(legacyAgainstItself.covers(Discrepancy(path: "", field: "grpc-status", kind: .status, legacyValue: "0", candidateValue: "5")))
        #expect(!legacyAgainstItself.covers(Discrepancy(path: "", field: "status", kind: .status, legacyValue: "200", candidateValue: "503")))
    }

    /// A candidate that answers something else than gRPC is a mismatch with reasons, not a skipped comparison.
    @Test func aCandidateThatIsNotGRPCIsAMismatch() throws {
        let json = ResponseSnapshot(status: .ok, headers: HTTPHeaders([("content-type", "application/json")]), body: ByteBuffer(string: #"{"error": "boom"}"#))
        let record = Self.compare(Self.response([Self.comment().bytes]), json, descriptors: try Self.descriptors())
        #expect(record.outcome == .mismatch)
        let fields = Set(record.discrepancies.map(\.field))
        #expect(fields == ["header:content-type", "grpc-status", "$"])
        #expect(record.discrepancies.first { $0.field == "grpc-status" }?.candidateValue == nil)
    }

    /// Without a descriptor set a rule names fields by number, as the discrepancies do.
    @Test func diffRulesNameFieldNumbersWithoutADescriptor() throws {
        let rules = try RuleSetLoader.load(sources: [(name: "grpc.yml", text: """
            rules:
              - route: /tapcompare.demo.Comments/GetComment
                ignore:
                  - $.messages[*].5.1
            """)])
        let record = Self.compare(Self.response([Self.comment().bytes]), Self.response([Self.comment(author: "bob").bytes]), rules: rules)
        #expect(record.outcome == .match)
    }
}
