import TapCompareGRPC
import TapCompareJSON
import TapCompareTestSupport
import Testing

@Suite struct ProtoJSONDecoderTests {
    func decode(_ w: ProtobufWriter, type: String? = CommentFixture.comment) throws -> JSONValue {
        try ProtoJSONDecoder(descriptors: try CommentFixture.descriptors()).decode(w.bytes[...], type: type)
    }

    @Test func commentFollowsTheProto3JSONMapping() throws {
        let value = try decode(CommentFixture.comment())
        let expected: JSONValue = [
            "id": "42", "body": "first!", "status": "VISIBLE", "tags": ["a", "b"],
            "author": ["name": "ada", "karma": "7"], "labels": ["lang": "en"], "parentId": "9",
        ]
        #expect(value == expected)
        // Declaration order, whatever the wire order.
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.members.map(\.key) == ["id", "body", "status", "tags", "author", "labels", "parentId"])
    }

    @Test func fieldsAbsentOnTheWireStayAbsent() throws {
        #expect(try decode(ProtobufWriter().string(2, "x")) == ["body": "x"])
        #expect(try decode(ProtobufWriter()) == [:])
    }

    @Test func int64BeyondTwoToThe53IsExact() throws {
        let value = try decode(ProtobufWriter().varint(1, 9_007_199_254_740_993).sint(12, -9_007_199_254_740_993))
        #expect(value["id"] == "9007199254740993")
        #expect(value["delta"] == "-9007199254740993")
    }

    @Test func negativeInt32AndPackedAndUnpackedRepeated() throws {
        let packed = try decode(ProtobufWriter().packed(11, [1, -2, 300]))
        #expect(packed["votes"] == [1, -2, 300])
        let unpacked = try decode(ProtobufWriter().varint(11, 1).varint(11, -2).varint(11, 300))
        #expect(unpacked["votes"] == packed["votes"])
    }

    @Test func enumByNameAndUnknownEnumNumberKept() throws {
        #expect(try decode(ProtobufWriter().varint(3, 2))["status"] == "HIDDEN")
        #expect(try decode(ProtobufWriter().varint(3, 17))["status"] == 17)
    }

    @Test func doublesBytesBoolsAndOneofs() throws {
        let value = try decode(
            ProtobufWriter().double(9, 2.5).bytes(10, [0xFF, 0x00, 0x10]).bool(13, true).string(8, "https://x/t/1")
        )
        #expect(value == ["score": .number(JSONNumber("2.5")!), "signature": "/wAQ", "pinned": true, "threadUrl": "https://x/t/1"])
        #expect(try decode(ProtobufWriter().double(9, .nan))["score"] == "NaN")
        #expect(try decode(ProtobufWriter().double(9, -.infinity))["score"] == "-Infinity")
    }

    @Test func unknownFieldsAreKeptByNumber() throws {
        let value = try decode(CommentFixture.comment().uvarint(99, 5).string(100, "extra"))
        #expect(value["99"] == 5)
        #expect(value["100"] == "extra")
    }

    @Test func aWireTypeContradictingTheDescriptorStaysAtItsField() throws {
        // body (field 2) is a string; a varint there is reported at $.body as a number.
        #expect(try decode(ProtobufWriter().uvarint(2, 5))["body"] == 5)
    }

    @Test func mapEntriesBecomeObjectMembers() throws {
        let value = try decode(ProtobufWriter().mapEntry(6, "lang", "en").mapEntry(6, "tone", "dry"))
        #expect(value["labels"] == ["lang": "en", "tone": "dry"])
    }

    @Test func aSingularMessageSentInPartsIsMerged() throws {
        let value = try decode(ProtobufWriter().message(5, ProtobufWriter().string(1, "ada")).message(5, ProtobufWriter().uvarint(2, 3)))
        #expect(value["author"] == ["name": "ada", "karma": "3"])
    }

    @Test func malformedMessageIsAWireFormatError() {
        #expect(throws: WireFormatError.self) { try decode(ProtobufWriter().raw([0x08, 0xFF])) }
        #expect(throws: WireFormatError.self) { try decode(ProtobufWriter().raw([0x2A, 0x09, 0x0A])) }
    }

    // MARK: - Without a descriptor

    @Test func withoutADescriptorFieldsAreKeyedByNumber() throws {
        let value = try ProtoJSONDecoder().decode(CommentFixture.comment().bytes[...], type: nil)
        #expect(value == [
            "1": 42, "2": "first!", "3": 1, "4": ["a", "b"], "5": ["1": "ada", "2": 7], "6": ["1": "lang", "2": "en"], "7": 9,
        ])
    }

    @Test func withoutADescriptorBinaryIsBase64AndBigVarintsExact() throws {
        let value = try ProtoJSONDecoder().decode(ProtobufWriter().bytes(1, [0xFF, 0xFE]).uvarint(2, .max).bytes[...], type: nil)
        #expect(value["1"] == "//4=")
        #expect(value["2"]?.numberValue?.text == "18446744073709551615")
    }

    @Test func aTypeNotInTheSetIsDecodedByNumber() throws {
        #expect(try decode(ProtobufWriter().uvarint(1, 1), type: ".other.Type") == ["1": 1])
    }

    @Test func deepNestingIsBoundedNotACrash() throws {
        var w = ProtobufWriter().uvarint(1, 1)
        for _ in 0..<5_000 { w = ProtobufWriter().message(1, w) }
        let value = try ProtoJSONDecoder(maxDepth: 3).decode(w.bytes[...], type: nil)
        // Three levels as messages, the rest kept as bytes.
        #expect(value["1"]?["1"]?["1"]?["1"]?.stringValue != nil)
    }

    // MARK: - Well-known types

    @Test func timestampsDurationsAndWrappersTakeTheirJSONForms() throws {
        let value = try decode(
            ProtobufWriter()
                .message(14, ProtobufWriter().varint(1, 1_714_564_800).varint(2, 21_000_000))
                .message(15, ProtobufWriter().varint(1, -1).varint(2, -500_000_000))
                .message(16, ProtobufWriter().varint(1, 9_007_199_254_740_993))
                .message(17, ProtobufWriter())
        )
        #expect(value == [
            "createdAt": "2024-05-01T12:00:00.021Z", "editWindow": "-1.500s", "replyCount": "9007199254740993", "language": "",
        ])
    }

    @Test func timestampEdgesFollowTheCalendar() {
        #expect(WellKnownTypesProbe.timestamp(0, 0) == "1970-01-01T00:00:00Z")
        #expect(WellKnownTypesProbe.timestamp(-62_135_596_800, 0) == "0001-01-01T00:00:00Z")
        #expect(WellKnownTypesProbe.timestamp(253_402_300_799, 999_999_999) == "9999-12-31T23:59:59.999999999Z")
        #expect(WellKnownTypesProbe.timestamp(951_782_400, 1000) == "2000-02-29T00:00:00.000001Z")
        #expect(WellKnownTypesProbe.timestamp(-1, 0) == "1969-12-31T23:59:59Z")
    }

    @Test func anOutOfRangeTimestampIsShownAsItsFields() throws {
        let value = try decode(ProtobufWriter().message(14, ProtobufWriter().varint(1, .max)))
        #expect(value["createdAt"] == ["seconds": "9223372036854775807"])
    }
}

/// Any bytes at all: a JSON value or a ``WireFormatError``, never a trap (seeded, so a failure reproduces).
@Suite struct ArbitraryBytesTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func decodingArbitraryBytesNeverTraps() throws {
        let decoder = ProtoJSONDecoder(descriptors: try CommentFixture.descriptors())
        var random = SplitMix(state: 18)
        let valid = CommentFixture.comment().message(14, ProtobufWriter().varint(1, .min).varint(2, Int64(Int32.min)))
            .message(15, ProtobufWriter().varint(1, .min).varint(2, Int64(Int32.min))).bytes
        var decoded = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                // A valid message with a few bytes flipped: the interesting inputs are nearly valid.
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            for type in [CommentFixture.comment, nil] {
                if (try? decoder.decode(bytes[...], type: type)) != nil { decoded += 1 }
            }
            _ = try? GRPCFrameReader(maxMessageBytes: 64).messages(bytes[...])
        }
        #expect(decoded > 0)
    }
}

/// Timestamps through the decoder, as a user meets them.
enum WellKnownTypesProbe {
    static func timestamp(_ seconds: Int64, _ nanos: Int32) -> String? {
        let w = ProtobufWriter().message(14, ProtobufWriter().varint(1, seconds).varint(2, Int64(nanos)))
        let value = try? ProtoJSONDecoder(descriptors: try CommentFixture.descriptors()).decode(w.bytes[...], type: CommentFixture.comment)
        return value?["createdAt"]?.stringValue
    }
}
