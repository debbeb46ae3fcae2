import MetricsTestKit
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
import TapCompareCore
import TapCompareProxy
import TapCompareTestSupport

#if os(Linux)
/// `listener.send_timeout` on HTTP/2 counts, for each stream, the client's TCP acknowledging that stream's own bytes
/// (``HTTP2OutboundFramePositions``), over h2c and TLS: a stream the client gives no window is cut while another
/// stream of its connection downloads, and streams whose bytes wait behind other streams' on a slowly read connection
/// are not.
///
/// Raw-frame clients (``RawTCP`` with an ``HTTP2WindowGiver``, which answers reads on the client's own event loop)
/// read their socket on a ``ReadPacer``'s clock, so each scenario's flow control is exactly what it says. Each test
/// waits for frames to arrive, never for a time.
@Suite("HTTP/2 send timeout: a stream's progress is its own bytes", .timeLimit(.minutes(TestTiming.minutes(1))))
struct HTTP2StreamSendProgressTests {
    /// 600 ms, as the other slow-client tests (``SendTimeoutSlowClientTests``).
    static let sendTimeout = SendTimeoutSlowClientTests.sendTimeout
    static let readInterval = TimeAmount.milliseconds(20)
    /// Stream ids: B (asked first) and A.
    static let b: UInt32 = 1
    static let a: UInt32 = 3

    @Test(
        "a stream the client never gives window while it slowly reads another stream of the connection is cut (RST_STREAM, counted once) after send_timeout while the other is still downloading: its own bytes were all acknowledged, the other's are not its progress; the other gets every byte",
        arguments: [false, true]
    )
    func streamWithoutWindowIsCutWhileAnotherDownloads(tls: Bool) async throws {
        // 2 KiB every 20 ms (100 KiB/s): B takes about 7.5 s, many timeouts; A is cut one to three seconds in, and the
        // check below holds until 6.4 s in: room for a loaded CI machine. (A's RST_STREAM reaches the client behind
        // what the proxy had written of B by then: over TLS nearly all of B.)
        let sizeB = 768 << 10
        let legacy = try await ScriptedUpstream { head in .huge(bytes: head.uri == "/b" ? sizeB : SendTimeoutTests.huge) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        // Streams start with 16 KiB: A spends it at once and is given no more. The connection has 16 MiB, and B too.
        let giver = HTTP2WindowGiver(streams: [], connection: false)
        try await Self.withClient(
            tls: tls, legacy: legacy, metrics: metrics, sendBuffer: 32 << 10, bytesPerRead: 2 << 10, giver: giver,
            settings: [(0x4, 16 << 10)]
        ) { client in
            try await client.send(
                RawHTTP2Frame.windowUpdate(streamID: 0, increment: 16 << 20)
                    + RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: Self.b, payload: Self.get("/b"))
                    + RawHTTP2Frame.windowUpdate(streamID: Self.b, increment: 16 << 20)
                    + RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: Self.a, payload: Self.get("/a"))
            )
            // The cut is counted while the client is still reading B: B's END_STREAM has not reached it.
            try await eventually("A was cut, or B ended") {
                try SendTimeoutTests.sendTimeouts(metrics) > 0 || giver.endedAt(Self.b) != nil || client.isClosed
            }
            let endedBeforeCut = giver.endedAt(Self.b)
            let receivedAtCut = client.receivedCount
            #expect(endedBeforeCut == nil, "B ended (frame \(endedBeforeCut ?? 0)) before A was cut")
            // The cut reaches the client as A's RST_STREAM, and B goes on to its end.
            try await eventually("A was reset and B ended") {
                (giver.resetAt(Self.a) != nil && giver.endedAt(Self.b) != nil) || client.isClosed
            }
            #expect(giver.resetAt(Self.a) != nil, "A was not reset")
            // Cut long before the end of B. Had B's bytes been taken for A's, A would be cut only a timeout after the
            // proxy wrote B's last bytes, by when at most what the proxy's socket, its write buffer and the client's
            // receive buffer hold (64 + 32 + 16 KiB) would be left for the client to read.
            #expect(sizeB - receivedAtCut >= 128 << 10, "the client had \(receivedAtCut) of B's \(sizeB) bytes when A was cut")
            #expect(try SendTimeoutTests.sendTimeouts(metrics) == 1)
            // A's legacy call was abandoned with it.
            try await eventually("A's legacy connection closed") { legacy.closedConnectionCount >= 1 }
            #expect(!giver.goAway)
            #expect(!client.isClosed)
            Self.expectWhole(try await Self.logged(client, giver), stream: Self.b, size: sizeB)
        }
    }

    @Test(
        "a stream whose window is spent while its bytes wait behind another stream's on a slowly read connection is not cut: the client, reading at 50 KiB/s and giving the connection and that stream window back only as it reads, takes both responses whole",
        arguments: [false, true]
    )
    func streamQueuedBehindAnotherIsNotCut(tls: Bool) async throws {
        let sizes = [Self.b: 128 << 10, Self.a: 64 << 10]
        let legacy = try await ScriptedUpstream { head in .huge(bytes: head.uri == "/b" ? sizes[Self.b]! : sizes[Self.a]!) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        // Streams start with 16 KiB, the connection keeps HTTP/2's 65,535 bytes; B is given 16 MiB at once, A and the
        // connection are given back what the client reads.
        let giver = HTTP2WindowGiver(streams: [Self.a], connection: true)
        try await Self.withClient(
            tls: tls, legacy: legacy, metrics: metrics, sendBuffer: 128 << 10, bytesPerRead: 1 << 10, giver: giver,
            settings: [(0x4, 16 << 10)]
        ) { client in
            try await Self.askBThenA(client, giver: giver, windowForB: 16 << 20)
            try await Self.expectBothWhole(client, giver: giver, metrics: metrics, sizes: sizes)
        }
    }

    @Test(
        "browser-like flow control (15 MB of connection window up front, each stream's 65,535 given back as it is read): a stream whose bytes wait behind another's on a slowly read connection is not cut, both responses arrive whole",
        arguments: [false, true]
    )
    func browserLikeSlowReaderIsNotCut(tls: Bool) async throws {
        let sizes = [Self.b: 96 << 10, Self.a: 96 << 10]
        let legacy = try await ScriptedUpstream { head in .huge(bytes: head.uri == "/b" ? sizes[Self.b]! : sizes[Self.a]!) }
        defer { Task { try await legacy.shutdown() } }
        let metrics = TestMetrics()
        let giver = HTTP2WindowGiver(streams: [Self.a, Self.b], connection: false)
        try await Self.withClient(
            tls: tls, legacy: legacy, metrics: metrics, sendBuffer: 128 << 10, bytesPerRead: 1 << 10, giver: giver,
            settings: []
        ) { client in
            try await client.send(RawHTTP2Frame.windowUpdate(streamID: 0, increment: 15_000_000))
            try await Self.askBThenA(client, giver: giver, windowForB: nil)
            try await Self.expectBothWhole(client, giver: giver, metrics: metrics, sizes: sizes)
        }
    }

    // MARK: Helpers

    /// Runs `body` with a proxy (send_timeout 600 ms, the send buffer asked) in front of `legacy` and a raw HTTP/2
    /// client reading `bytesPerRead` every 20 ms through a receive buffer of 8 KiB, whose preface and SETTINGS (with
    /// `settings`) went out and the proxy's SETTINGS were acknowledged.
    static func withClient(
        tls: Bool, legacy: ScriptedUpstream, metrics: TestMetrics, sendBuffer: Int, bytesPerRead: Int, giver: HTTP2WindowGiver,
        settings: [(UInt16, UInt32)], _ body: (RawTCP) async throws -> Void
    ) async throws {
        let certificates = tls ? try await TestCertificates() : nil
        defer { certificates?.remove() }
        try await ProxyHarness.with(legacy: legacy.url, metrics: metrics, configure: { proxy, _ in
            proxy.sendTimeout = Self.sendTimeout
            proxy.clientSendBufferSize = sendBuffer
            if let certificates {
                proxy.tls = ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile)
            }
        }) { proxy in
            var clientTLS = try certificates?.makeClientConfiguration()
            clientTLS?.applicationProtocols = ["h2"]
            let pacer = ReadPacer()
            let client = try await RawTCP.connect(
                port: proxy.port, receiveBufferSize: 8192, bytesPerRead: bytesPerRead, tls: clientTLS, readPacer: pacer,
                answer: { giver.answer($0) }
            )
            defer { Task { try await client.close() } }
            try await pacer.readEvery(Self.readInterval)
            try await client.send(HTTP2ListenerEdgeTests.h2Preface + RawHTTP2Frame.settings(settings))
            try await eventually("the proxy sent its SETTINGS") {
                RawHTTP2Frame.parse(client.received).contains { $0.type == RawHTTP2Frame.settings && $0.flags & 0x1 == 0 }
                    || client.isClosed
            }
            try await client.send(RawHTTP2Frame.encode(type: RawHTTP2Frame.settings, flags: 0x1, streamID: 0, payload: []))
            try await body(client)
        }
    }

    /// Asks B (given `windowForB` more at once, if any), then A once B's first DATA arrived: B's bytes fill the
    /// windows first, A's wait behind them.
    static func askBThenA(_ client: RawTCP, giver: HTTP2WindowGiver, windowForB: UInt32?) async throws {
        try await client.send(
            RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: Self.b, payload: Self.get("/b"))
                + (windowForB.map { RawHTTP2Frame.windowUpdate(streamID: Self.b, increment: $0) } ?? [])
        )
        try await eventually("B's first DATA arrived") { giver.dataReadBeforeFirstData(of: Self.b) != nil || client.isClosed }
        try await client.send(RawHTTP2Frame.encode(type: RawHTTP2Frame.headers, flags: 0x5, streamID: Self.a, payload: Self.get("/a")))
    }

    /// Both streams end with every byte, nothing is reset or counted as a send timeout, and the scenario held: the
    /// client read more than send_timeout's worth of B (30 KiB at 50 KiB/s) before A's first DATA.
    static func expectBothWhole(_ client: RawTCP, giver: HTTP2WindowGiver, metrics: TestMetrics, sizes: [UInt32: Int]) async throws {
        try await eventually("both responses ended, or a stream was reset") {
            (giver.endedAt(Self.a) != nil && giver.endedAt(Self.b) != nil) || giver.resetAt(Self.a) != nil
                || giver.resetAt(Self.b) != nil || giver.goAway || client.isClosed
        }
        let ahead = giver.dataReadBeforeFirstData(of: Self.a) ?? 0
        #expect(ahead > 40 << 10, "the client read \(ahead) bytes of B before A's first DATA")
        #expect(giver.resetAt(Self.a) == nil, "A was reset")
        #expect(giver.resetAt(Self.b) == nil, "B was reset")
        #expect(!giver.goAway)
        #expect(!client.isClosed)
        #expect(try SendTimeoutTests.sendTimeouts(metrics) == 0)
        let received = try await Self.logged(client, giver)
        for (streamID, size) in sizes { Self.expectWhole(received, stream: streamID, size: size) }
    }

    /// What the client received, once its log holds every byte `giver` saw: the giver sees a read's bytes just before
    /// the client's log does.
    static func logged(_ client: RawTCP, _ giver: HTTP2WindowGiver) async throws -> [UInt8] {
        let seen = giver.bytesRead
        try await eventually("the client's log has what it read") { client.receivedCount >= seen || client.isClosed }
        return client.received
    }

    /// `streamID` was answered 200 (HPACK static index 8 first) with every byte of legacy's body.
    static func expectWhole(_ received: [UInt8], stream streamID: UInt32, size: Int) {
        let frames = RawHTTP2Frame.parse(received)
        #expect(frames.first { $0.streamID == streamID && $0.type == RawHTTP2Frame.headers }?.payload.first == 0x88)
        let body = frames.filter { $0.streamID == streamID && $0.type == RawHTTP2Frame.data }.flatMap(\.payload)
        #expect(body.count == size, "stream \(streamID): \(body.count) of \(size) bytes")
        var checksum = StreamChecksum()
        checksum.add(body)
        #expect(checksum.value == StreamChecksum.pattern(count: size), "stream \(streamID)")
    }

    /// HPACK for `GET http://proxy.test` + `path`: static indexes 2 and 6, then `:path` and `:authority` as literals with
    /// indexed names (4 and 1).
    static func get(_ path: String) -> [UInt8] {
        [0x82, 0x86, 0x04] + HTTP2ListenerEdgeTests.hpackLength(path.utf8.count) + Array(path.utf8)
            + [0x01, 0x0a] + Array("proxy.test".utf8)
    }
}
#endif
