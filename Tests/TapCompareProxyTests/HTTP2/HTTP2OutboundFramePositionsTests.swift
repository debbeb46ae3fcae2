import NIOCore
import NIOEmbedded
import Testing
@testable import TapCompareProxy

/// ``HTTP2OutboundFramePositions`` turns a watched HTTP/2 stream's frames into positions among the bytes written to
/// the socket: exact on a plain connection, an upper bound within a record behind TLS.
@Suite("HTTP/2 outbound frame positions") struct HTTP2OutboundFramePositionsTests {
    @Test("a watched stream's last end is where its last frame ends among the socket's bytes once flushed, other streams' frames leave it, and it is forgotten when unwatched")
    func positions() throws {
        let counter = OutboundByteCounter()
        let positions = HTTP2OutboundFramePositions(counter: counter)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(positions)
        let (bytes, _) = HTTP2FrameBoundaryScannerTests.sample
        // SETTINGS and stream 1's HEADERS (21 + 14 = 35 bytes), unwatched.
        channel.write(ByteBuffer(bytes: bytes[..<35]), promise: nil)
        channel.flush()
        positions.watch(1)
        positions.watch(3)
        #expect(positions.lastEnd(of: 1) == 35)
        // Stream 1's DATA: header and payload as two writes, flushed together.
        channel.write(ByteBuffer(bytes: bytes[35..<44]), promise: nil)
        channel.write(ByteBuffer(bytes: bytes[44..<344]), promise: nil)
        #expect(positions.lastEnd(of: 1) == 35, "moves at the flush, once the bytes went toward the socket")
        channel.flush()
        #expect(positions.lastEnd(of: 1) == 344)
        #expect(positions.lastEnd(of: 3) == 35)
        // Stream 3's empty DATA, then stream 5's HEADERS and a PING, flushed together: only stream 3 moves, to its
        // frame's end (on a plain connection the socket's bytes are the frames).
        channel.write(ByteBuffer(bytes: bytes[344...]), promise: nil)
        channel.flush()
        #expect(positions.lastEnd(of: 3) == 353)
        #expect(positions.lastEnd(of: 1) == 344)
        // Watched while a frame of it is written but not yet flushed: placed at the next flush too.
        positions.watch(5)
        channel.write(ByteBuffer(bytes: bytes[..<35]), promise: nil)
        positions.watch(7)
        #expect(positions.lastEnd(of: 7) == UInt64(bytes.count) + 35)
        channel.flush()
        #expect(positions.lastEnd(of: 7) == UInt64(bytes.count) + 35)
        positions.unwatch(1)
        #expect(positions.lastEnd(of: 1) == nil)
        // Every byte went on to the socket.
        var written = 0
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytes }
        #expect(written == bytes.count + 35)
        _ = try channel.finish()
    }

    @Test("behind TLS (records of at most 16 KiB with a header and tag, written at the flush), a stream's last end is at or past where its bytes end on the socket, by less than a record, and never past the flush's end")
    func positionsBehindTLS() throws {
        let counter = OutboundByteCounter()
        let positions = HTTP2OutboundFramePositions(counter: counter)
        let records = RecordWriter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(records)
        try channel.pipeline.syncOperations.addHandler(positions)
        positions.watch(1)
        positions.watch(3)
        // 40 KiB of stream 1 in three DATA frames, 5 bytes of stream 3, 20 KiB more of stream 1, flushed together:
        // records of 16 KiB, 16 KiB, 16 KiB and the rest.
        var plain: [UInt8] = []
        func data(_ streamID: UInt32, _ length: Int) {
            plain += [UInt8(length >> 16), UInt8((length >> 8) & 0xff), UInt8(length & 0xff), 0, 0, 0, 0, 0, UInt8(streamID)]
            plain += [UInt8](repeating: 0x61, count: length)
        }
        data(1, 16_384)
        data(1, 16_384)
        data(1, 8_192)
        data(3, 5)
        let streamThreeEnd = plain.count
        data(1, 20_000)
        channel.write(ByteBuffer(bytes: plain), promise: nil)
        channel.flush()
        let overhead = RecordWriter.overhead
        // Stream 3's last byte is in the third record: it reaches the socket at that record's end.
        let recordEnd = 3 * (16_384 + overhead)
        #expect(streamThreeEnd > 2 * 16_384 && streamThreeEnd <= 3 * 16_384)
        let lastEnd = try #require(positions.lastEnd(of: 3))
        #expect(lastEnd >= UInt64(recordEnd), "\(lastEnd) is before the record holding its bytes ends (\(recordEnd))")
        #expect(lastEnd <= UInt64(recordEnd + 16_384 + 4 * overhead), "\(lastEnd) is more than a record past \(recordEnd)")
        #expect(positions.lastEnd(of: 1) == counter.written, "stream 1's last frame ends the flush")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    /// Stands in for TLS: holds writes until a flush, then writes them as records of at most 16 KiB with
    /// ``overhead`` bytes each (a header and a tag).
    final class RecordWriter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        static let overhead = 5 + 16
        private var held: [UInt8] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            self.held += Array(self.unwrapOutboundIn(data).readableBytesView)
            promise?.succeed()
        }

        func flush(context: ChannelHandlerContext) {
            var index = 0
            while index < self.held.count {
                let end = min(index + 16_384, self.held.count)
                let record = [UInt8](repeating: 0x17, count: 5) + self.held[index..<end] + [UInt8](repeating: 0, count: 16)
                context.write(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: record)), promise: nil)
                index = end
            }
            self.held = []
            context.flush()
        }
    }
}
