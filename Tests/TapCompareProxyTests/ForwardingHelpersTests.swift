import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
import TapCompareMirroring
@testable import TapCompareProxy

/// The pure pieces ``ProxyHandler`` calls: the upstream heads, the proxy's own answers and the bounded copies of a
/// sampled exchange.
@Suite("Forwarding helpers") struct ForwardingHelpersTests {
    @Test("legacy's head: end-to-end headers only, the proxy's forwarded values, Upgrade kept when asked, chunked again")
    func legacyHead() throws {
        let configuration = ProxyConfiguration(legacy: try UpstreamURL(parsing: "http://legacy:8080/base"))
        let head = HTTPRequestHead(
            version: .http1_1, method: .POST, uri: "/a?b=1",
            headers: HTTPHeaders([
                ("Host", "public.example"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Transfer-Encoding", "chunked"),
                ("X-Tapcompare", "baseline"), ("X-Forwarded-For", "10.0.0.9"), ("Accept", "*/*"),
            ])
        )
        let endToEnd = UpstreamRequestHeads.endToEnd(head.headers, shadowHeaderName: "X-Tapcompare", trustForwardedHeaders: false)
        #expect(endToEnd.map(\.name) == ["Host", "Accept"])
        let legacy = UpstreamRequestHeads.legacy(
            for: head, framing: RequestBodyFraming(head: head), endToEnd: endToEnd, configuration: configuration, clientAddress: "127.0.0.1", proto: "http",
            requestID: "id-1", requestIDWasSent: false, upgradeRequested: true
        )
        #expect(legacy.uri == "/base/a?b=1")
        #expect(legacy.headers["Host"] == ["legacy:8080"])
        #expect(legacy.headers["X-Forwarded-For"] == ["127.0.0.1"])
        #expect(legacy.headers["X-Request-Id"] == ["id-1"])
        #expect(legacy.headers["Upgrade"] == ["websocket"])
        #expect(legacy.headers["Connection"] == ["upgrade"])
        #expect(legacy.headers["transfer-encoding"] == ["chunked"])
        #expect(legacy.headers["X-Tapcompare"].isEmpty)
    }

    @Test("the candidate's head: its own Host, the shadow header, the whole body framed by its length")
    func candidateHead() throws {
        let configuration = ProxyConfiguration(legacy: try UpstreamURL(parsing: "http://legacy:8080"))
        let mirror = MirrorConfiguration()
        let request = RequestSnapshot(
            method: .POST, uri: "/a", headers: HTTPHeaders([("Host", "public.example"), ("Content-Length", "99")])
        )
        let head = UpstreamRequestHeads.candidate(
            for: request, bodyBytes: 0, target: try UpstreamURL(parsing: "http://candidate:9090"), configuration: configuration,
            mirror: mirror, clientAddress: "127.0.0.1", proto: "http", requestID: "id-2"
        )
        #expect(head.uri == "/a")
        #expect(head.headers["Host"] == ["candidate:9090"])
        #expect(head.headers[mirror.shadowHeaderName] == [mirror.shadowHeaderValue])
        #expect(head.headers["X-Request-Id"] == ["id-2"])
        // A POST says its (empty) length; the client's stale one is gone.
        #expect(head.headers["Content-Length"] == ["0"])
    }

    @Test("an HTTP/2 upstream is sent TE: trailers (legacy and candidate), whatever the client sent; HTTP/1.1 upstreams are not")
    func trailersAcceptedFromHTTP2Upstreams() throws {
        let head = HTTPRequestHead(
            version: .init(major: 2, minor: 0), method: .POST, uri: "/comments.v1.Comments/GetComment",
            headers: HTTPHeaders([("host", "public.example"), ("te", "trailers"), ("content-type", "application/grpc")])
        )
        let endToEnd = UpstreamRequestHeads.endToEnd(head.headers, shadowHeaderName: "X-Tap-Compare", trustForwardedHeaders: false)
        #expect(endToEnd["te"].isEmpty)
        for (url, expected) in [("h2c://legacy:9000", ["trailers"]), ("http://legacy:9000", [])] {
            let configuration = ProxyConfiguration(legacy: try UpstreamURL(parsing: url))
            let legacy = UpstreamRequestHeads.legacy(
                for: head, framing: RequestBodyFraming(head: head), endToEnd: endToEnd, configuration: configuration, clientAddress: "127.0.0.1", proto: "http",
                requestID: "id", requestIDWasSent: false, upgradeRequested: false
            )
            #expect(legacy.headers["te"] == expected, "\(url)")
            let candidate = UpstreamRequestHeads.candidate(
                for: RequestSnapshot(method: .POST, uri: head.uri, headers: endToEnd), bodyBytes: 7, target: try UpstreamURL(parsing: url),
                configuration: configuration, mirror: MirrorConfiguration(), clientAddress: "127.0.0.1", proto: "http", requestID: "id"
            )
            #expect(candidate.headers["te"] == expected, "\(url)")
        }
    }

    @Test("HTTP/2 or HTTP/1.1 from the first bytes: the first byte that differs from the preface decides HTTP/1.1, the whole preface HTTP/2")
    func httpVersionDetection() {
        func detect(_ text: String) -> HTTPVersionDetector.Version? { HTTPVersionDetector.detect(ByteBuffer(string: text)) }
        #expect(detect("GET / HTTP/1.1\r\n") == .http1)
        #expect(detect("POST") == .http1)
        #expect(detect("PUT /") == .http1)
        #expect(detect("P") == nil)
        #expect(detect("PRI * HTTP/2.0\r\n") == nil)
        #expect(detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == .http2)
        #expect(detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u{0}\u{0}\u{0}\u{4}") == .http2)
        #expect(detect("PRI * HTTP/1.1\r\n") == .http1)
    }

    @Test("the proxy's 502 names the failure and echoes the request id; a refusal closes the connection")
    func localResponses() {
        let failure = LocalResponse.legacyFailure(
            .connectFailed, status: .badGateway, version: .http1_0, connection: .keepAlive, requestIDHeader: "X-Request-Id",
            requestID: "id-3", allocator: ByteBufferAllocator()
        )
        #expect(failure.head.version == .http1_0)
        #expect(failure.head.headers["X-Request-Id"] == ["id-3"])
        #expect(failure.head.headers["Connection"] == ["keep-alive"])
        #expect(String(buffer: failure.body).hasPrefix("502 Bad Gateway: legacy upstream"))
        #expect(failure.head.headers["Content-Length"] == [String(failure.body.readableBytes)])

        let refusal = LocalResponse.refusal(status: .badRequest, explanation: "bad", allocator: ByteBufferAllocator())
        #expect(String(buffer: refusal.body) == "400 Bad Request: bad\n")
        #expect(refusal.head.headers["Connection"] == ["close"])
    }

    @Test("a sampled exchange's copies stay within their caps; the lengths are still counted")
    func mirrorCapture() {
        var capture = MirrorCapture(maxRequestBodyBytes: 4, maxResponseBodyBytes: 3)
        capture.requestBodyPart(ByteBuffer(string: "abc"))
        #expect(capture.requestBodyFits)
        #expect(String(buffer: capture.requestBody) == "abc")
        capture.requestBodyPart(ByteBuffer(string: "de"))
        #expect(!capture.requestBodyFits)
        #expect(capture.requestBody.readableBytes == 0)

        #expect(capture.legacyResponse == nil)
        capture.responseHead(status: .ok, version: .http1_1, headers: HTTPHeaders())
        capture.responseBodyPart(ByteBuffer(string: "12"))
        #expect(capture.responseWithinCap)
        capture.responseBodyPart(ByteBuffer(string: "345"))
        #expect(!capture.responseWithinCap)
        #expect(capture.legacyResponse.map { String(buffer: $0.body) } == "123")
        #expect(capture.legacyResponse?.bodyLength == 5)
    }

    @Test("a body read in one part is kept as a view of it; a part small in a large read buffer, or a later part, is copied")
    func keptBodies() {
        func storage(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
            buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        }
        var read = ByteBufferAllocator().buffer(capacity: 1024)
        read.writeString(String(repeating: "x", count: 900))
        var body = ByteBuffer()
        MirrorCapture.keep(read, in: &body)
        #expect(storage(body) == storage(read))

        var small = ByteBufferAllocator().buffer(capacity: 65_536)
        small.writeString("{\"id\":1}")
        var copied = ByteBuffer()
        MirrorCapture.keep(small, in: &copied)
        #expect(storage(copied) != storage(small))
        #expect(copied.storageCapacity < 65_536)
        #expect(String(buffer: copied) == "{\"id\":1}")

        MirrorCapture.keep(ByteBuffer(string: "yz"), in: &body)
        #expect(body.readableBytes == 902)
        #expect(String(buffer: body).hasSuffix("xyz"))
        #expect(String(buffer: read).count == 900)  // the read buffer is untouched
    }
}
