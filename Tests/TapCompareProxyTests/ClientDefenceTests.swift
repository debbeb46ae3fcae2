import NIOHTTP1
import Testing
@testable import TapCompareProxy

/// The hostile-client policies without sockets: the head deadline, target normalisation, parser-error mapping.
@Suite("Client defences") struct ClientDefenceTests {
    @Test("the head deadline runs from accept and from a later request's first byte, never while idle")
    func headDeadline() {
        var (deadline, action) = HeaderDeadline.accepted()
        #expect(action == .arm)
        #expect(deadline.bytesReceived() == .none)
        #expect(deadline.headReceived() == .disarm)
        #expect(deadline.bytesReceived() == .none)  // body bytes
        #expect(deadline.timerFired() == .none)  // a stale timer during a request does nothing
        #expect(deadline.responseEnded() == .none)
        #expect(deadline.state == .idle)
        #expect(deadline.timerFired() == .none)  // idle keep-alive: not a header timeout
        #expect(deadline.bytesReceived() == .arm)
        #expect(deadline.timerFired() == .refuse(bytesSeen: true))
        #expect(deadline.state == .done)
        #expect(deadline.bytesReceived() == .none)

        var silent = HeaderDeadline.accepted().0
        #expect(silent.timerFired() == .refuse(bytesSeen: false))

        var pipelined = HeaderDeadline.accepted().0
        _ = pipelined.headReceived()
        _ = pipelined.responseEnded()
        #expect(pipelined.headReceived() == .none)  // the next head was already buffered
        #expect(pipelined.state == .inRequest)
        #expect(pipelined.closed() == .none)
    }

    @Test("absolute-form targets become origin-form; other forms are left alone")
    func originForm() {
        #expect(RequestTarget.originForm("http://evil.example:81/a/b?q=1").target == "/a/b?q=1")
        #expect(RequestTarget.originForm("http://evil.example:81/a/b?q=1").authority == "evil.example:81")
        #expect(RequestTarget.originForm("HTTPS://h").target == "/")
        #expect(RequestTarget.originForm("http://h?x=1").target == "/?x=1")
        #expect(RequestTarget.originForm("http://h/p#frag").target == "/p")
        #expect(RequestTarget.originForm("/plain?u=http://x/").target == "/plain?u=http://x/")
        #expect(RequestTarget.originForm("/plain").authority == nil)
        #expect(RequestTarget.originForm("*").target == "*")
        #expect(RequestTarget.originForm("ftp://h/x").target == "ftp://h/x")
    }

    @Test("dot-segments are resolved for routing, never above the root, %2e included")
    func dotSegments() {
        #expect(RequestTarget.withoutDotSegments("/a/b") == nil)
        #expect(RequestTarget.withoutDotSegments("/a/..b/c") == nil)
        #expect(RequestTarget.withoutDotSegments("/api/public/../internal/x") == "/api/internal/x")
        #expect(RequestTarget.withoutDotSegments("/api/./x") == "/api/x")
        #expect(RequestTarget.withoutDotSegments("/api/%2E%2e/x") == "/x")
        #expect(RequestTarget.withoutDotSegments("/../../etc/passwd") == "/etc/passwd")
        #expect(RequestTarget.withoutDotSegments("/a/b/..") == "/a/")
        #expect(RequestTarget.withoutDotSegments("/a/.") == "/a/")
    }

    @Test("a head naming both Content-Length and Transfer-Encoding is smuggling, in any order, split anywhere")
    func smugglingScan() {
        func scan(_ text: String, split: Int) -> HeadFramingScan {
            var scan = HeadFramingScan()
            let bytes = Array(text.utf8)
            scan.consume(bytes.prefix(split))
            scan.consume(bytes.dropFirst(split))
            return scan
        }
        let both = "POST /x HTTP/1.1\r\nHost: t\r\ncontent-LENGTH: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        let reversed = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
        for split in 0...both.utf8.count { #expect(scan(both, split: split).hasConflictingFraming, "split at \(split)") }
        #expect(scan(reversed, split: 20).hasConflictingFraming)
        #expect(!scan("POST /x HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", split: 7).hasConflictingFraming)
        // Only the head counts: a body or the request line that mentions the names does not.
        #expect(!scan("POST /Transfer-Encoding: HTTP/1.1\r\nContent-Length: 30\r\n\r\nTransfer-Encoding: chunked\r\n\r\n", split: 3).hasConflictingFraming)
        #expect(ClientRefusal.forParserError(.unknown, headHasConflictingFraming: true) == .smuggling)
        #expect(ClientRefusal.forParserError(.unexpectedContentLength, headHasConflictingFraming: true) == .smuggling)
        #expect(ClientRefusal.forParserError(.invalidChunkSize, headHasConflictingFraming: true) == .invalidChunk)
        #expect(ClientRefusal.all.contains(.smuggling))
    }

    @Test("parser errors map to a status and a low-cardinality reason; end of input is not a refusal")
    func parserErrors() {
        #expect(ClientRefusal.forParserError(.headerOverflow)?.status?.code == 431)
        #expect(ClientRefusal.forParserError(.unexpectedContentLength) == .invalidFraming)
        #expect(ClientRefusal.forParserError(.invalidContentLength) == .invalidFraming)
        #expect(ClientRefusal.forParserError(.invalidChunkSize) == .invalidChunk)
        #expect(ClientRefusal.forParserError(.invalidHeaderToken) == .invalidHeader)
        #expect(ClientRefusal.forParserError(.invalidURL) == .invalidRequestLine)
        #expect(ClientRefusal.forParserError(.strictModeAssertion) == .malformed)
        #expect(ClientRefusal.forParserError(.invalidEOFState) == nil)
        #expect(ClientRefusal.forParserError(.invalidMethod)?.status == .badRequest)
        #expect(Set(ClientRefusal.all.map(\.reason)).count == ClientRefusal.all.count)
    }
}
