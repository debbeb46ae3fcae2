import TapCompareGRPC
import TapCompareTestSupport
import Testing

@Suite struct FramingTests {
    let reader = GRPCFrameReader(maxMessageBytes: 64)

    @Test func splitsLengthPrefixedMessages() throws {
        let body = GRPCFraming.body([[1, 2, 3], [], [9]])
        let frames = try reader.messages(body[...])
        #expect(frames.map { Array($0.bytes) } == [[1, 2, 3], [], [9]])
        #expect(frames.allSatisfy { !$0.compressed })
    }

    @Test func emptyBodyHasNoMessages() throws {
        #expect(try reader.messages(slice([])).isEmpty)
    }

    @Test func compressedFlagIsRead() throws {
        let frames = try reader.messages(GRPCFraming.body([[7]], compressed: true)[...])
        #expect(frames.first?.compressed == true)
    }

    @Test func truncatedPrefixIsAClearError() {
        let body = GRPCFraming.body([[1, 2]]) + [0, 0, 0]
        let error = #expect(throws: GRPCFramingError.self) {
            try reader.messages(body[...])
        }
        #expect(error?.description == "message 1 at byte 7: truncated frame (3 of the 5 prefix bytes)")
    }

    @Test func truncatedMessageIsAClearError() {
        let body = Array(GRPCFraming.body([[1, 2, 3, 4]]).dropLast(2))
        let error = #expect(throws: GRPCFramingError.self) {
            try reader.messages(body[...])
        }
        #expect(error?.description == "message 0 at byte 0: truncated frame (declares 4 bytes, 2 present)")
    }

    @Test func flagOtherThanZeroOrOneIsRefused() {
        #expect(throws: GRPCFramingError.self) { try reader.messages(slice([2, 0, 0, 0, 0])) }
    }

    @Test func messageBeyondTheLimitIsRefusedBeforeItIsRead() {
        // Declares 4 GiB - 1 with 2 bytes present: refused for its size, nothing allocated.
        let error = #expect(throws: GRPCFramingError.self) {
            try reader.messages(slice([0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2]))
        }
        #expect(error?.description.contains("4294967295 bytes exceed grpc.max_message_bytes (64)") == true)
    }
}
