import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing
@testable import TapCompareProxy

/// Every transition of an HTTP/2 client stream's head-limit refusal, and the refusal reasons of HTTP/2 errors,
/// without sockets.
@Suite("HTTP/2 stream refusal state machine") struct HTTP2StreamRefusalStateMachineTests {
    typealias Machine = HTTP2StreamRefusalStateMachine

    static let limits = Machine.Limits(maxHeaderListSize: 1_000, maxHeaderFields: 3)

    @Test("a head within both limits, and everything after it, is forwarded; nothing is reset")
    func withinLimits() {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.headers(fields: 3, listSize: 1_000, endStream: false)) == .forward)
        #expect(machine.received(.data(endStream: false)) == .forward)
        #expect(machine.received(.headers(fields: 50, listSize: 5_000, endStream: true)) == .forward)
        #expect(machine.refusalWritten() == .none)
    }

    @Test("one field too many, or one byte too many: 431 (headers_too_large)", arguments: [(4, 1_000), (3, 1_001)])
    func overLimit(fields: Int, listSize: Int) {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.headers(fields: fields, listSize: listSize, endStream: true)) == .refuse(.headersTooLarge))
        #expect(ClientRefusal.headersTooLarge.status?.code == 431)
    }

    @Test("a refused request that had ended (END_STREAM on its HEADERS): the answer closes the stream, no reset")
    func refusedEndedRequest() {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.headers(fields: 9, listSize: 10, endStream: true)) == .refuse(.headersTooLarge))
        #expect(machine.refusalWritten() == .none)
        #expect(machine.received(.other) == .drop)
    }

    @Test("a refused client still sending: its body is dropped, then RST_STREAM NO_ERROR once the answer is written")
    func refusedStillSending() {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.headers(fields: 9, listSize: 10, endStream: false)) == .refuse(.headersTooLarge))
        #expect(machine.received(.data(endStream: false)) == .drop)
        #expect(machine.refusalWritten() == .resetStream)
        // After the reset: late frames dropped, the reset never sent twice.
        #expect(machine.received(.data(endStream: true)) == .drop)
        #expect(machine.refusalWritten() == .none)
    }

    @Test("a refused client that ends its body (or sends trailers) before the answer is written: no reset", arguments: [true, false])
    func refusedThenEnded(byTrailers: Bool) {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.headers(fields: 9, listSize: 10, endStream: false)) == .refuse(.headersTooLarge))
        #expect(machine.received(.data(endStream: false)) == .drop)
        let end: Machine.Frame = byTrailers ? .headers(fields: 1, listSize: 40, endStream: true) : .data(endStream: true)
        #expect(machine.received(end) == .drop)
        #expect(machine.refusalWritten() == .none)
    }

    @Test("frames other than HEADERS before the head are passed on untouched")
    func otherBeforeHead() {
        var machine = Machine(limits: Self.limits)
        #expect(machine.received(.other) == .forward)
        #expect(machine.received(.headers(fields: 0, listSize: 100, endStream: true)) == .forward)
    }

    @Test("measure: RFC 9113 §6.5.2 sizes (name + value + 32 per field, pseudo-headers included); pseudo-headers not counted as fields")
    func measure() {
        let headers = HPACKHeaders([(":method", "GET"), (":path", "/a"), ("x-one", "1"), ("cookie", "abc")])
        let measured = Machine.measure(headers)
        #expect(measured.fields == 2)
        #expect(measured.listSize == (7 + 3 + 32) + (5 + 2 + 32) + (5 + 1 + 32) + (6 + 3 + 32))
    }

    @Test("the decoding ceiling: twice the limit, never below NIOHTTP2's 16 KiB default, never past 32 bits")
    func decodingCeiling() {
        #expect(HTTP2StreamRefusalHandler.decodingCeiling(forLimit: 64 << 10) == 128 << 10)
        #expect(HTTP2StreamRefusalHandler.decodingCeiling(forLimit: 1_000) == 16_384)
        #expect(HTTP2StreamRefusalHandler.decodingCeiling(forLimit: Int(UInt32.max)) == Int(UInt32.max))
    }

    @Test("HTTP/2 errors: a header block past SETTINGS_MAX_HEADER_LIST_SIZE is headers_too_large, other frame and HPACK errors http2_protocol, socket errors no refusal")
    func http2ErrorReasons() {
        #expect(ClientRefusal.forHTTP2Error(NIOHTTP2Errors.excessivelyLargeHeaderBlock()) == .headersTooLarge)
        #expect(ClientRefusal.forHTTP2Error(NIOHPACKErrors.MaxHeaderListSizeViolation()) == .headersTooLarge)
        #expect(ClientRefusal.forHTTP2Error(NIOHTTP2Errors.badClientMagic()) == .http2Protocol)
        #expect(ClientRefusal.forHTTP2Error(NIOHPACKErrors.ZeroHeaderIndex()) == .http2Protocol)
        #expect(ClientRefusal.forHTTP2Error(CancellationError()) == nil)
    }

    @Test("a malformed request header block is a stream error (the connection goes on); a frame NIOHTTP2 cannot parse is not")
    func streamErrors() {
        #expect(HTTP2ClientConnectionHandler.isStreamError(NIOHTTP2Errors.invalidHTTP2HeaderFieldName("X-Bad")))
        #expect(HTTP2ClientConnectionHandler.isStreamError(NIOHTTP2Errors.missingPseudoHeader(":method")))
        #expect(!HTTP2ClientConnectionHandler.isStreamError(NIOHTTP2Errors.unableToParseFrame()))
        #expect(!HTTP2ClientConnectionHandler.isStreamError(NIOHTTP2Errors.excessivelyLargeHeaderBlock()))
    }
}
