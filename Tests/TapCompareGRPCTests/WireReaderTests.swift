import TapCompareGRPC
import TapCompareTestSupport
import Testing

@Suite struct WireReaderTests {
    @Test func readsEveryWireType() throws {
        let bytes = ProtobufWriter().uvarint(1, 300).fixed64(2, 0x0102_0304_0506_0708).fixed32(3, 0xDEAD_BEEF).string(4, "hi").bytes
        let fields = try WireReader.fields(bytes[...])
        #expect(fields.map(\.number) == [1, 2, 3, 4])
        #expect(fields[0].payload == .varint(300))
        #expect(fields[1].payload == .fixed64(0x0102_0304_0506_0708))
        #expect(fields[2].payload == .fixed32(0xDEAD_BEEF))
        #expect(fields[3].payload == .lengthDelimited(Array("hi".utf8)[...]))
    }

    @Test func maximalVarintIsExact() throws {
        let fields = try WireReader.fields(ProtobufWriter().uvarint(1, .max).bytes[...])
        #expect(fields.first?.payload == .varint(.max))
    }

    @Test func truncatedVarintIsAClearError() {
        let error = #expect(throws: WireFormatError.self) {
            try WireReader.fields(slice([0x08, 0x96]))
        }
        #expect(error?.description == "truncated varint at byte 1")
    }

    @Test func varintLongerThanTenBytesIsRefused() {
        let error = #expect(throws: WireFormatError.self) {
            try WireReader.fields(slice([0x08] + [UInt8](repeating: 0xFF, count: 11) + [0x01]))
        }
        #expect(error?.description == "varint longer than 10 bytes at byte 1")
    }

    @Test func lengthBeyondTheMessageIsAClearError() {
        let error = #expect(throws: WireFormatError.self) {
            try WireReader.fields(slice([0x12, 0x05, 0x61]))
        }
        #expect(error?.description == "field 2 at byte 0 needs 5 bytes, 1 left")
    }

    @Test func groupsAreRefusedNotGuessed() {
        let error = #expect(throws: WireFormatError.self) {
            try WireReader.fields(slice([0x0B, 0x0C]))
        }
        #expect(error?.description.contains("field 1 at byte 0 is a group") == true)
    }

    @Test func fieldNumberZeroIsInvalid() {
        #expect(throws: WireFormatError.self) { try WireReader.fields(slice([0x00, 0x01])) }
    }

    @Test func zigZag() {
        #expect(ZigZag.decode64(0) == 0)
        #expect(ZigZag.decode64(1) == -1)
        #expect(ZigZag.decode64(4) == 2)
        #expect(ZigZag.decode64(ZigZag.encode64(.min)) == .min)
        #expect(ZigZag.decode32(3) == -2)
    }
}
