import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import TapCompareCore
import TapCompareTestSupport
import Testing
@testable import TapCompareProxy

/// Exchanges completed during one turn of an event loop reach the comparison stage together at the turn's end,
/// in order, and none is held past it.
@Suite("Loop exchange batch") struct LoopExchangeBatchTests {
    static func exchange(_ n: Int) -> Exchange {
        Exchange(
            requestID: "r\(n)", route: "GET /items",
            request: RequestSnapshot(method: .GET, uri: "/items/\(n)", version: .http1_1, headers: [:]),
            legacy: ResponseSnapshot(status: .ok, headers: [:], body: ByteBuffer()), legacyLatency: .milliseconds(1),
            candidate: .skipped(.clientAborted)
        )
    }

    @Test("one turn's exchanges are handed over together after the turn, in order")
    func oneHandOverPerTurn() {
        let loop = EmbeddedEventLoop()
        let sink = RecordingExchangeSink()
        let batch = LoopExchangeBatch(eventLoop: loop, sink: sink)
        for n in 0..<3 { batch.submit(Self.exchange(n)) }
        #expect(sink.count == 0, "held until the loop's turn ends")
        loop.run()
        #expect(sink.handOvers == [3])
        #expect(sink.recorded.map(\.requestID) == ["r0", "r1", "r2"])
        batch.submit(Self.exchange(3))
        loop.run()
        #expect(sink.handOvers == [3, 1], "a later turn's exchange is its own hand-over")
    }

    @Test("a full batch is handed over at once, without waiting for the turn's end")
    func fullBatch() {
        let loop = EmbeddedEventLoop()
        let sink = RecordingExchangeSink()
        let batch = LoopExchangeBatch(eventLoop: loop, sink: sink)
        for n in 0..<(LoopExchangeBatch.maxBuffered + 1) { batch.submit(Self.exchange(n)) }
        #expect(sink.handOvers == [LoopExchangeBatch.maxBuffered])
        loop.run()
        #expect(sink.handOvers == [LoopExchangeBatch.maxBuffered, 1] && sink.count == LoopExchangeBatch.maxBuffered + 1)
    }
}
