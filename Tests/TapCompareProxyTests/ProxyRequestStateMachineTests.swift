import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
@testable import TapCompareProxy

/// Every transition of a client connection's requests, driven without sockets: what the proxy does (the
/// actions), when it reads from the client, and when the connection closes.
@Suite("Proxy request state machine") struct ProxyRequestStateMachineTests {
    typealias Machine = ProxyRequestStateMachine

    // MARK: Keep-alive

    @Test("a keep-alive GET: forwarded, answered, the connection idle again, reads never held")
    func simpleGet() {
        var machine = Machine()
        let get = Self.request(.GET, "/a")
        #expect(machine.requestPartReceived(.head(get)) == .startRequest(get))
        #expect(machine.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: false))
        // The request is whole: nothing waits on the client, so reads go on while legacy is connected.
        #expect(machine.readRequested() == .read)
        #expect(machine.legacyConnected(writable: true, reused: true) == .sendQueuedToLegacy)
        #expect(machine.readRequested() == .read)
        #expect(machine.responseHead(Self.response(.ok, length: 2)) == .forwardResponseHead(version: .http1_1, connection: nil))
        #expect(machine.responseBodyPart() == .forwardResponseBody)
        #expect(machine.readRequested() == .read)
        #expect(machine.responseEnd() == .finishResponse(close: false, requestComplete: true))
        #expect(machine.state == .idle)
        #expect(machine.readRequested() == .read)
        #expect(!machine.readHeld)
        #expect(machine.nextPipelinedPart() == nil)

        // The next request on the same connection starts afresh.
        #expect(machine.requestPartReceived(.head(get)) == .startRequest(get))
    }

    @Test("Connection: close from the client: legacy's response says close and the connection closes after it")
    func clientAsksClose() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/", headers: [("Connection", "close")]), to: &machine)
        #expect(machine.responseHead(Self.response(.ok, length: 0)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(machine.state == .closing)

        // What the client sends after its last request is never buffered, let alone forwarded.
        var pipelining = Machine()
        Self.send(Self.request(.GET, "/", headers: [("Connection", "close")]), to: &pipelining)
        #expect(pipelining.requestPartReceived(.head(Self.request(.GET, "/next"))) == .none)
        #expect(pipelining.pipelined.isEmpty)
    }

    @Test("HTTP/1.0 keep-alive: kept only when told so and when the body's length is known")
    func http10KeepAlive() {
        let keepAlive = Self.request(.GET, "/", version: .http1_0, headers: [("Connection", "keep-alive")])
        var machine = Machine()
        Self.send(keepAlive, to: &machine)
        // HTTP/1.0 has no informational responses.
        #expect(machine.responseHead(Self.response(.continue)) == .dropResponseHead)
        #expect(machine.responseHead(Self.response(.ok, length: 3)) == .forwardResponseHead(version: .http1_0, connection: .keepAlive))
        #expect(machine.responseEnd() == .finishResponse(close: false, requestComplete: true))
        #expect(machine.state == .idle)

        // No Content-Length: the body ends with the connection.
        Self.send(keepAlive, to: &machine)
        #expect(machine.responseHead(Self.response(.ok)) == .forwardResponseHead(version: .http1_0, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))

        // A 1.0 client that did not ask for keep-alive is closed without a header (1.0's default).
        var plain = Machine()
        Self.send(Self.request(.GET, "/", version: .http1_0), to: &plain)
        #expect(plain.responseHead(Self.response(.ok, length: 3)) == .forwardResponseHead(version: .http1_0, connection: nil))
        #expect(plain.responseEnd() == .finishResponse(close: true, requestComplete: true))

        // A 1.0 client's 502 keeps its connection only when asked.
        var failing = Machine()
        _ = failing.requestPartReceived(.head(keepAlive))
        _ = failing.requestPartReceived(.end(nil))
        #expect(
            failing.legacyFailed(.connectFailed, responseStarted: false)
                == .respondWithError(
                    .connectFailed, status: .badGateway, version: .http1_0, connection: .keepAlive, close: false, requestComplete: true
                )
        )
    }

    @Test("an informational head goes to an HTTP/1.1 client; the final head follows")
    func informational() {
        var machine = Machine()
        Self.send(Self.request(.POST, "/"), to: &machine)
        #expect(machine.responseHead(Self.response(.continue)) == .forwardInformationalHead(version: .http1_1))
        #expect(machine.responseHead(Self.response(.created, length: 0)) == .forwardResponseHead(version: .http1_1, connection: nil))
    }

    @Test("an HTTP/2 stream (a 2.0 head: minor version 0) is not taken for HTTP/1.0: informational heads pass, no length needed, the stream ends after its response")
    func http2StreamIsNotHTTP10() {
        var machine = Machine()
        Self.send(Self.request(.POST, "/comments.v1.Comments/GetComment", version: HTTPVersion(major: 2, minor: 0)), to: &machine)
        #expect(machine.responseHead(Self.response(.continue)) == .forwardInformationalHead(version: .http1_1))
        // HTTP/2 has no keep-alive between requests: one stream, one request (the codec drops `connection`).
        #expect(machine.responseHead(Self.response(.ok)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
    }

    // MARK: Upload backpressure

    @Test("a body streams up: reads held while legacy connects or its socket is full, resumed when it can take more")
    func bodyBackpressure() {
        var machine = Machine()
        let post = Self.request(.POST, "/upload", headers: [("Content-Length", "6")])
        #expect(machine.requestPartReceived(.head(post)) == .startRequest(post))
        // Connecting: the body would pile up, so the client waits.
        #expect(machine.readRequested() == .hold)
        #expect(machine.resumeReading() == false)
        let part = ByteBuffer(string: "abc")
        #expect(machine.requestPartReceived(.body(part)) == .forwardBody(part, legacyConnected: false))
        #expect(machine.legacyConnected(writable: true, reused: false) == .sendQueuedToLegacy)
        #expect(machine.resumeReading() == true)
        #expect(machine.resumeReading() == false)  // issued once
        #expect(machine.requestPartReceived(.body(part)) == .forwardBody(part, legacyConnected: true))

        machine.legacyWritabilityChanged(writable: false)
        #expect(machine.readRequested() == .hold)
        #expect(machine.resumeReading() == false)
        machine.legacyWritabilityChanged(writable: true)
        #expect(machine.resumeReading() == true)
        #expect(machine.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: true))

        // Once the request is whole legacy's writability no longer concerns the client.
        machine.legacyWritabilityChanged(writable: false)
        #expect(machine.readRequested() == .read)
    }

    // MARK: Pipelining

    @Test("a request pipelined mid-response waits, reads go on, and it is replayed in order when the response ends")
    func pipelined() {
        var machine = Machine()
        let first = Self.request(.GET, "/1")
        let second = Self.request(.GET, "/2")
        Self.send(first, to: &machine)
        #expect(machine.requestPartReceived(.head(second)) == .none)
        #expect(machine.requestPartReceived(.end(nil)) == .none)
        #expect(machine.pipelined.heads == 1)
        // Within the watermark: read interest stays registered.
        #expect(machine.readRequested() == .read)
        // Not replayed while the first response is in progress.
        #expect(machine.nextPipelinedPart() == nil)

        #expect(machine.responseHead(Self.response(.ok, length: 1)) == .forwardResponseHead(version: .http1_1, connection: nil))
        #expect(machine.responseEnd() == .finishResponse(close: false, requestComplete: true))
        #expect(machine.nextPipelinedPart() == .startRequest(second))
        #expect(machine.nextPipelinedPart() == .forwardEnd(nil, legacyConnected: false))
        #expect(machine.nextPipelinedPart() == nil)
        #expect(machine.pipelined.isEmpty)
    }

    @Test("a pipelined request's body is replayed part by part and a third request waits for the second's response")
    func pipelinedWithBody() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/1"), to: &machine)
        let post = Self.request(.POST, "/2", headers: [("Content-Length", "3")])
        let third = Self.request(.GET, "/3")
        let body = ByteBuffer(string: "abc")
        for part: HTTPServerRequestPart in [.head(post), .body(body), .end(nil), .head(third), .end(nil)] {
            #expect(machine.requestPartReceived(part) == .none)
        }
        _ = machine.responseHead(Self.response(.ok, length: 0))
        _ = machine.responseEnd()
        #expect(machine.nextPipelinedPart() == .startRequest(post))
        #expect(machine.nextPipelinedPart() == .forwardBody(body, legacyConnected: false))
        #expect(machine.nextPipelinedPart() == .forwardEnd(nil, legacyConnected: false))
        #expect(machine.nextPipelinedPart() == nil)
        #expect(machine.pipelined.heads == 1)
        _ = machine.legacyConnected(writable: true, reused: false)
        _ = machine.responseHead(Self.response(.ok, length: 0))
        _ = machine.responseEnd()
        #expect(machine.nextPipelinedPart() == .startRequest(third))
    }

    @Test("past the pipelining watermark reads are held, and resume once the buffer drains")
    func pipelinedWatermark() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/1"), to: &machine)
        for path in ["/2", "/3"] {
            _ = machine.requestPartReceived(.head(Self.request(.GET, path)))
            _ = machine.requestPartReceived(.end(nil))
        }
        #expect(machine.pipelined.heads == 2)
        #expect(machine.pipelined.isOverWatermark)
        #expect(machine.readRequested() == .hold)
        #expect(machine.resumeReading() == false)

        _ = machine.responseHead(Self.response(.ok, length: 0))
        _ = machine.responseEnd()
        #expect(machine.nextPipelinedPart() == .startRequest(Self.request(.GET, "/2")))
        #expect(machine.nextPipelinedPart() == .forwardEnd(nil, legacyConnected: false))
        #expect(machine.nextPipelinedPart() == nil)
        // One request left in the buffer: back within the watermark.
        #expect(machine.resumeReading() == true)

        // A large pipelined body is a watermark too.
        var uploads = Machine()
        Self.send(Self.request(.GET, "/1"), to: &uploads)
        _ = uploads.requestPartReceived(.head(Self.request(.POST, "/2", headers: [("Transfer-Encoding", "chunked")])))
        _ = uploads.requestPartReceived(.body(ByteBuffer(repeating: 0, count: PipelinedRequestBuffer.maxBodyBytes)))
        #expect(uploads.readRequested() == .read)
        _ = uploads.requestPartReceived(.body(ByteBuffer(repeating: 0, count: 1)))
        #expect(uploads.readRequested() == .hold)
    }

    @Test("a response that ends before its request closes the connection; nothing more is forwarded")
    func responseBeforeRequestEnds() {
        var machine = Machine()
        let post = Self.request(.POST, "/", headers: [("Content-Length", "100")])
        _ = machine.requestPartReceived(.head(post))
        _ = machine.legacyConnected(writable: true, reused: false)
        _ = machine.requestPartReceived(.body(ByteBuffer(string: "abc")))
        #expect(machine.responseHead(Self.response(.payloadTooLarge, length: 0)) == .forwardResponseHead(version: .http1_1, connection: nil))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: false))
        #expect(machine.state == .closing)
        #expect(machine.requestPartReceived(.body(ByteBuffer(string: "def"))) == .none)
        #expect(machine.requestPartReceived(.end(nil)) == .none)
        #expect(machine.requestPartReceived(.head(Self.request(.GET, "/next"))) == .none)
        #expect(machine.pipelined.isEmpty)
    }

    // MARK: The client leaving

    @Test("a client that leaves before legacy's head: the legacy call is abandoned as client_aborted")
    func abortBeforeHead() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/"), to: &machine)
        #expect(machine.clientClosed(comparable: true) == .abandonLegacy(.clientAborted))
        #expect(machine.state == .closed)
        #expect(machine.responseHead(Self.response(.ok)) == .none)

        // Mid-upload, too (the request never reached legacy whole).
        var uploading = Machine()
        _ = uploading.requestPartReceived(.head(Self.request(.POST, "/", headers: [("Content-Length", "9")])))
        _ = uploading.legacyConnected(writable: true, reused: false)
        #expect(uploading.clientClosed(comparable: true) == .abandonLegacy(.clientAborted))

        // An idle connection closing abandons nothing.
        var idle = Machine()
        #expect(idle.clientClosed(comparable: false) == .none)
        #expect(idle.state == .closed)
    }

    @Test("a client that leaves after legacy's head of a sampled request: legacy is read on for the comparison")
    func abortAfterHead() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/"), to: &machine)
        _ = machine.responseHead(Self.response(.ok, length: 10))
        #expect(machine.clientClosed(comparable: true) == .keepReadingForComparison)
        #expect(machine.state == .clientGone)
        #expect(machine.responseBodyPart() == .keepResponseBodyForComparison)
        #expect(machine.clientClosed(comparable: true) == .none)  // the error, then channelInactive
        #expect(machine.responseEnd() == .completeComparison)
        #expect(machine.state == .closed)

        // Not sampled (or legacy's body already past the cap): nothing to compare, abandoned.
        var unsampled = Machine()
        Self.send(Self.request(.GET, "/"), to: &unsampled)
        _ = unsampled.responseHead(Self.response(.ok, length: 10))
        #expect(unsampled.clientClosed(comparable: false) == .abandonLegacy(.clientAborted))

        // Legacy's answer grows past the comparison cap: reading on serves nobody.
        var large = Machine()
        Self.send(Self.request(.GET, "/"), to: &large)
        _ = large.responseHead(Self.response(.ok))
        _ = large.clientClosed(comparable: true)
        #expect(large.comparisonAbandoned() == .abandonLegacy(.responseTooLarge))
        #expect(large.state == .closed)

        // Legacy fails while read for nobody: recorded, no client to close.
        var failing = Machine()
        Self.send(Self.request(.GET, "/"), to: &failing)
        _ = failing.responseHead(Self.response(.ok))
        _ = failing.clientClosed(comparable: true)
        #expect(failing.legacyFailed(.readTimeout, responseStarted: true) == .failAfterResponseStarted(closeClient: false))
    }

    // MARK: Legacy failing

    @Test("legacy failing before answering: 502, or 504 for a timeout; the connection stays when the request was whole")
    func legacyFailure() {
        var refused = Machine()
        _ = refused.requestPartReceived(.head(Self.request(.GET, "/")))
        _ = refused.requestPartReceived(.end(nil))
        #expect(
            refused.legacyFailed(.connectFailed, responseStarted: false)
                == .respondWithError(.connectFailed, status: .badGateway, version: .http1_1, connection: nil, close: false, requestComplete: true)
        )
        #expect(refused.state == .idle)

        var slow = Machine()
        Self.send(Self.request(.GET, "/"), to: &slow)
        #expect(
            slow.legacyFailed(.readTimeout, responseStarted: false)
                == .respondWithError(.readTimeout, status: .gatewayTimeout, version: .http1_1, connection: nil, close: false, requestComplete: true)
        )

        // Mid-upload: the rest of the request cannot be told from a next one, so the connection closes.
        var uploading = Machine()
        _ = uploading.requestPartReceived(.head(Self.request(.POST, "/", headers: [("Content-Length", "9")])))
        #expect(
            uploading.legacyFailed(.connectTimeout, responseStarted: false)
                == .respondWithError(
                    .connectTimeout, status: .gatewayTimeout, version: .http1_1, connection: .close, close: true, requestComplete: false
                )
        )
        #expect(uploading.state == .closing)
    }

    @Test("legacy failing after its response started: the client connection is cut")
    func legacyFailureAfterHead() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/"), to: &machine)
        _ = machine.responseHead(Self.response(.ok, length: 100))
        #expect(machine.legacyFailed(.closedEarly, responseStarted: true) == .failAfterResponseStarted(closeClient: true))
        #expect(machine.state == .closing)
    }

    @Test("a pooled connection legacy closed while idle is retried once on a fresh one, for a safe bodiless request only")
    func retryStalePooledConnection() {
        var machine = Machine()
        _ = machine.requestPartReceived(.head(Self.request(.GET, "/")))
        _ = machine.requestPartReceived(.end(nil))
        _ = machine.legacyConnected(writable: true, reused: true)
        #expect(machine.legacyFailed(.closedEarly, responseStarted: false) == .retryLegacy)
        #expect(machine.legacyConnected(writable: true, reused: false) == .sendQueuedToLegacy)
        // Once only.
        #expect(
            machine.legacyFailed(.closedEarly, responseStarted: false)
                == .respondWithError(.closedEarly, status: .badGateway, version: .http1_1, connection: nil, close: false, requestComplete: true)
        )

        // A fresh connection failing is legacy's failure, not a stale pool.
        var fresh = Machine()
        Self.send(Self.request(.GET, "/"), to: &fresh, reused: false)
        #expect(fresh.legacyFailed(.closedEarly, responseStarted: false) != .retryLegacy)

        // A write is not sent twice.
        var post = Machine()
        _ = post.requestPartReceived(.head(Self.request(.POST, "/")))
        _ = post.requestPartReceived(.end(nil))
        _ = post.legacyConnected(writable: true, reused: true)
        #expect(post.legacyFailed(.closedEarly, responseStarted: false) != .retryLegacy)
    }

    // MARK: Upgrades

    @Test("an upgrade legacy accepts: its 101 is forwarded and the connection becomes a tunnel")
    func upgradeAccepted() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]), to: &machine)
        #expect(machine.responseHead(Self.response(.switchingProtocols)) == .forwardSwitchingProtocolsHead(version: .http1_1))
        #expect(machine.switchedProtocols(clientActive: true) == .startTunnel)
        #expect(machine.state == .tunnel)
        #expect(machine.requestPartReceived(.head(Self.request(.GET, "/"))) == .none)
    }

    @Test("a 101 nobody asked for (no Upgrade, or an HTTP/1.0 client) is not forwarded and the request fails")
    func upgradeRefused() {
        var plain = Machine()
        Self.send(Self.request(.GET, "/"), to: &plain)
        #expect(plain.responseHead(Self.response(.switchingProtocols)) == .dropResponseHead)
        #expect(plain.switchedProtocols(clientActive: true) == .rejectSwitchingProtocols(failRequest: true))
        #expect(
            plain.legacyFailed(.invalidResponse, responseStarted: false)
                == .respondWithError(.invalidResponse, status: .badGateway, version: .http1_1, connection: nil, close: false, requestComplete: true)
        )

        // HTTP/1.0 cannot upgrade; its decoder parses nothing after the request, so the connection closes after the
        // answer.
        var old = Machine()
        Self.send(Self.request(.GET, "/ws", version: .http1_0, headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]), to: &old)
        #expect(old.responseHead(Self.response(.switchingProtocols)) == .dropResponseHead)
        #expect(old.switchedProtocols(clientActive: true) == .rejectSwitchingProtocols(failRequest: true))

        var declined = Machine()
        Self.send(Self.request(.GET, "/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]), to: &declined)
        #expect(declined.responseHead(Self.response(.ok, length: 0)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(declined.responseEnd() == .finishResponse(close: true, requestComplete: true))
    }

    // MARK: Shutdown and timeouts

    @Test("quiescing an idle connection closes it at once")
    func quiesceIdle() {
        var machine = Machine()
        #expect(machine.quiesce() == .close)
        #expect(machine.state == .closing)
        #expect(machine.requestPartReceived(.head(Self.request(.GET, "/"))) == .none)
    }

    @Test("quiescing a busy connection: the current request is answered with Connection: close, pipelined ones dropped")
    func quiesceBusy() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/1"), to: &machine)
        _ = machine.requestPartReceived(.head(Self.request(.GET, "/2")))
        #expect(machine.quiesce() == .none)
        #expect(machine.pipelined.isEmpty)
        #expect(machine.requestPartReceived(.end(nil)) == .none)
        #expect(machine.pipelined.isEmpty)
        #expect(machine.responseHead(Self.response(.ok, length: 0)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(machine.nextPipelinedPart() == nil)

        // Mid-upload the request is still received whole; after its head was sent the end closes the connection.
        var uploading = Machine()
        _ = uploading.requestPartReceived(.head(Self.request(.POST, "/", headers: [("Content-Length", "3")])))
        _ = uploading.legacyConnected(writable: true, reused: false)
        #expect(uploading.quiesce() == .none)
        let body = ByteBuffer(string: "abc")
        #expect(uploading.requestPartReceived(.body(body)) == .forwardBody(body, legacyConnected: true))
        #expect(uploading.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: true))

        var streaming = Machine()
        Self.send(Self.request(.GET, "/"), to: &streaming)
        _ = streaming.responseHead(Self.response(.ok, length: 0))
        _ = streaming.quiesce()
        #expect(streaming.responseEnd() == .finishResponse(close: true, requestComplete: true))
    }

    @Test("the idle timeout closes a connection between requests, never one with a request in progress")
    func idleTimeout() {
        var machine = Machine()
        Self.send(Self.request(.GET, "/"), to: &machine)
        #expect(machine.idleTimeoutFired() == .none)
        _ = machine.responseHead(Self.response(.ok, length: 0))
        _ = machine.responseEnd()
        #expect(machine.idleTimeoutFired() == .close)
        #expect(machine.state == .closing)
    }

    @Test("the send timeout cuts the client off: mid-response the legacy call is abandoned as send_timeout; once legacy answered in full, nothing is abandoned")
    func sendTimeout() {
        // Legacy still answering (its reads paused for the client): abandoned, the exchange skipped.
        var streaming = Machine()
        Self.send(Self.request(.GET, "/"), to: &streaming)
        _ = streaming.responseHead(Self.response(.ok, length: 1 << 26))
        #expect(streaming.sendTimedOut() == .cutOff(abandonLegacy: .sendTimeout))
        #expect(streaming.state == .closing)
        // The reset connection closes: nothing more to do, legacy is not read on for a comparison.
        #expect(streaming.clientClosed(comparable: true) == .none)
        #expect(streaming.state == .closed)

        // Legacy answered in full, the response's end waits on the client (`Connection: close`): the exchange already
        // has legacy's answer and is compared; only the connection is cut.
        var closing = Machine()
        Self.send(Self.request(.GET, "/", headers: [("Connection", "close")]), to: &closing)
        _ = closing.responseHead(Self.response(.ok, length: 2))
        #expect(closing.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(closing.sendTimedOut() == .cutOff(abandonLegacy: nil))

        // Keep-alive, between requests with bytes still waiting on the client (an HTTP/2 stream's end), and a
        // request pipelined behind them dropped.
        var idle = Machine()
        Self.send(Self.request(.GET, "/"), to: &idle)
        _ = idle.responseHead(Self.response(.ok, length: 2))
        _ = idle.requestPartReceived(.head(Self.request(.GET, "/next")))
        _ = idle.responseEnd()
        #expect(idle.sendTimedOut() == .cutOff(abandonLegacy: nil))
        #expect(idle.pipelined.isEmpty)
        #expect(idle.nextPipelinedPart() == nil)

        // A client already gone (legacy read for the comparison) or closed: nothing to cut.
        var gone = Machine()
        Self.send(Self.request(.GET, "/"), to: &gone)
        _ = gone.responseHead(Self.response(.ok, length: 10))
        _ = gone.clientClosed(comparable: true)
        #expect(gone.sendTimedOut() == .none)
        #expect(gone.state == .clientGone)
    }

    @Test("a target the decoder had to alter is refused; the connection drains and closes")
    func refusal() {
        var machine = Machine()
        #expect(machine.requestPartReceived(.head(Self.request(.GET, "/a\u{FFFD}b"))) == .refuse(.invalidRequestLine))
        #expect(machine.state == .closing)
        #expect(machine.requestPartReceived(.end(nil)) == .none)
        // A lingering close reads on, so the client's unread bytes do not reset the refusal.
        #expect(machine.readRequested() == .read)
    }

    // MARK: Helpers

    static func request(
        _ method: HTTPMethod, _ uri: String, version: HTTPVersion = .http1_1, headers: [(String, String)] = [("Host", "x")]
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    static func response(_ status: HTTPResponseStatus, length: Int? = nil) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        if let length { headers.add(name: "Content-Length", value: String(length)) }
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// A whole bodiless request, forwarded on a connected legacy connection.
    static func send(_ head: HTTPRequestHead, to machine: inout Machine, reused: Bool = false) {
        #expect(machine.requestPartReceived(.head(head)) == .startRequest(head))
        #expect(machine.requestPartReceived(.end(nil)) == .forwardEnd(nil, legacyConnected: false))
        #expect(machine.legacyConnected(writable: true, reused: reused) == .sendQueuedToLegacy)
    }
}
