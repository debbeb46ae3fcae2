import NIOCore
import NIOHTTP1
import Testing
import TapCompareCore
@testable import TapCompareProxy

/// The client shuts its sending side (TCP half-close): every transition of ``ProxyRequestStateMachine/inputClosed()``,
/// driven without sockets. `HalfCloseTests` runs the same cases over real sockets.
@Suite("Proxy request state machine: client half-close") struct ProxyRequestStateMachineHalfCloseTests {
    typealias Machine = ProxyRequestStateMachine
    typealias Helpers = ProxyRequestStateMachineTests

    @Test("between requests the connection closes; nothing is abandoned")
    func idle() {
        var machine = Machine()
        #expect(machine.inputClosed() == .close)
        #expect(machine.state == .closing)

        // After a keep-alive response too.
        var used = Machine()
        Helpers.send(Helpers.request(.GET, "/"), to: &used)
        _ = used.responseHead(Helpers.response(.ok, length: 0))
        #expect(used.responseEnd() == .finishResponse(close: false, requestComplete: true))
        #expect(used.inputClosed() == .close)
    }

    @Test("a request received whole is answered in full, with Connection: close, and the connection closes after it")
    func wholeRequestAnswered() {
        var machine = Machine()
        Helpers.send(Helpers.request(.GET, "/x"), to: &machine)
        #expect(machine.inputClosed() == .none)
        #expect(machine.isInputClosed)
        // Legacy's call goes on: reads are not wanted any more, nothing else changes.
        #expect(machine.responseHead(Helpers.response(.ok, length: 2)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseBodyPart() == .forwardResponseBody)
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(machine.state == .closing)
    }

    @Test("a half-close after the response head went out still closes after the response's end")
    func afterHeadSent() {
        var machine = Machine()
        Helpers.send(Helpers.request(.GET, "/x"), to: &machine)
        #expect(machine.responseHead(Helpers.response(.ok, length: 2)) == .forwardResponseHead(version: .http1_1, connection: nil))
        #expect(machine.inputClosed() == .none)
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
    }

    @Test("whole pipelined requests are answered in order; only the last says close and ends the connection")
    func pipelinedAnswered() {
        var machine = Machine()
        let second = Helpers.request(.GET, "/2")
        Helpers.send(Helpers.request(.GET, "/1"), to: &machine)
        #expect(machine.requestPartReceived(.head(second)) == .none)
        #expect(machine.requestPartReceived(.end(nil)) == .none)
        #expect(machine.inputClosed() == .none)

        // The first response is not the last: keep-alive, and the second is replayed after it.
        #expect(machine.responseHead(Helpers.response(.ok, length: 1)) == .forwardResponseHead(version: .http1_1, connection: nil))
        #expect(machine.responseEnd() == .finishResponse(close: false, requestComplete: true))
        #expect(machine.nextPipelinedPart() == .startRequest(second))
        #expect(machine.nextPipelinedPart() == .forwardEnd(nil, legacyConnected: false))
        #expect(machine.nextPipelinedPart() == nil)
        _ = machine.legacyConnected(writable: true, reused: true)
        #expect(machine.responseHead(Helpers.response(.ok, length: 1)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(machine.state == .closing)
    }

    @Test("a pipelined request cut short is dropped (it never reached legacy); the whole one before it is answered and closes")
    func pipelinedCutShort() {
        var machine = Machine()
        Helpers.send(Helpers.request(.GET, "/1"), to: &machine)
        let post = Helpers.request(.POST, "/2", headers: [("Content-Length", "10")])
        #expect(machine.requestPartReceived(.head(post)) == .none)
        #expect(machine.requestPartReceived(.body(ByteBuffer(string: "abc"))) == .none)
        #expect(machine.inputClosed() == .none)
        #expect(machine.pipelined.isEmpty)
        #expect(machine.pipelined.heads == 0)
        #expect(machine.pipelined.bodyBytes == 0)
        #expect(machine.responseHead(Helpers.response(.ok, length: 1)) == .forwardResponseHead(version: .http1_1, connection: .close))
        #expect(machine.responseEnd() == .finishResponse(close: true, requestComplete: true))
        #expect(machine.nextPipelinedPart() == nil)
    }

    @Test("a request whose body is cut short is a client abort: legacy's call abandoned as client_aborted, the connection closed")
    func bodyCutShort() {
        var machine = Machine()
        let post = Helpers.request(.POST, "/upload", headers: [("Content-Length", "100")])
        #expect(machine.requestPartReceived(.head(post)) == .startRequest(post))
        _ = machine.legacyConnected(writable: true, reused: false)
        #expect(machine.requestPartReceived(.body(ByteBuffer(string: "abc"))) == .forwardBody(ByteBuffer(string: "abc"), legacyConnected: true))
        #expect(machine.inputClosed() == .abortRequest(.clientAborted))
        #expect(machine.state == .closing)
        // What legacy says next reaches nobody.
        #expect(machine.responseHead(Helpers.response(.ok, length: 0)) == .none)
        #expect(machine.responseEnd() == .none)
        // The connection's close that follows changes nothing.
        #expect(machine.clientClosed(comparable: true) == .none)
    }

    @Test("a client that half-closes after an early answer (legacy answered before the body ended) is aborted too")
    func earlyAnswerThenCutShort() {
        var machine = Machine()
        let post = Helpers.request(.POST, "/upload", headers: [("Content-Length", "100")])
        _ = machine.requestPartReceived(.head(post))
        _ = machine.legacyConnected(writable: true, reused: false)
        _ = machine.responseHead(Helpers.response(.payloadTooLarge, length: 0))
        #expect(machine.inputClosed() == .abortRequest(.clientAborted))
    }

    @Test("legacy failing for a half-closed client: the 502 says close and the connection closes")
    func legacyFails() {
        var machine = Machine()
        Helpers.send(Helpers.request(.GET, "/"), to: &machine)
        _ = machine.inputClosed()
        #expect(
            machine.legacyFailed(.connectFailed, responseStarted: false)
                == .respondWithError(.connectFailed, status: .badGateway, version: .http1_1, connection: .close, close: true, requestComplete: true)
        )
        #expect(machine.state == .closing)
    }

    @Test("a half-close once the connection closes, or has become a tunnel, changes nothing")
    func lateHalfClose() {
        var closing = Machine()
        Helpers.send(Helpers.request(.GET, "/", headers: [("Connection", "close")]), to: &closing)
        _ = closing.responseHead(Helpers.response(.ok, length: 0))
        _ = closing.responseEnd()
        #expect(closing.inputClosed() == .none)
        #expect(closing.state == .closing)

        var tunnel = Machine()
        Helpers.send(Helpers.request(.GET, "/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]), to: &tunnel)
        _ = tunnel.responseHead(Helpers.response(.switchingProtocols))
        #expect(tunnel.switchedProtocols(clientActive: true) == .startTunnel)
        #expect(tunnel.inputClosed() == .none)
        #expect(tunnel.state == .tunnel)
    }

    @Test("an upgrade request whose client half-closes before the 101 still becomes a tunnel, the half-close remembered for it")
    func upgradeAfterHalfClose() {
        var machine = Machine()
        Helpers.send(Helpers.request(.GET, "/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]), to: &machine)
        #expect(machine.inputClosed() == .none)
        #expect(machine.responseHead(Helpers.response(.switchingProtocols)) == .forwardSwitchingProtocolsHead(version: .http1_1))
        #expect(machine.switchedProtocols(clientActive: true) == .startTunnel)
        #expect(machine.isInputClosed)
    }
}
