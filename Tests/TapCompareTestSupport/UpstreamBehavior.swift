import NIOCore

/// What a ``ScriptedUpstream`` does with one request, chosen from the request's head.
public enum UpstreamBehavior: Sendable {
    /// Answer at once.
    case respond(ScriptedResponse)
    /// Answer as soon as the head arrives, before any of the body (a `413` or a `401` to an upload); the body is
    /// then read and dropped. The request is recorded without its body.
    case respondAtHead(ScriptedResponse)
    /// Answer 200 with the request body as the body, and the request's method, target and headers as
    /// `X-Echo-Method`, `X-Echo-Uri` and one `X-Echo-Header: name: value` per request header.
    case echo
    /// Wait, then answer.
    case sleep(TimeAmount, then: ScriptedResponse)
    /// Never answer; keep the connection open.
    case hang
    /// Send the head and `bytes` bytes of the body, then (50 ms later) reset the connection.
    case resetMidBody(ScriptedResponse, afterBytes: Int)
    /// Close the connection without answering.
    case close
    /// Reset the connection (TCP RST) without answering.
    case reset
    /// Answer bytes that are not HTTP.
    case garbage([UInt8])
    /// Stream `bytes` of body (byte `i` is `UInt8(i % 251)`) with backpressure, `Content-Length` framed.
    case huge(bytes: Int)
    /// Write the response a few bytes at a time.
    case trickle(ScriptedResponse, bytesPerWrite: Int, interval: TimeAmount)
    /// Write exactly these bytes as the whole response.
    case raw([UInt8])
    /// Do some work with the whole request (a small service writing its datastores), then answer what it returns.
    case work(@Sendable (RecordedRequest) async -> ScriptedResponse)
    /// Send the head at once and the body after a pause (a backend that flushes its headers first).
    case headThenBody(ScriptedResponse, after: TimeAmount)
    /// Send the head at once and the body once `ready` returns (the test's event, e.g. its client has gone).
    case headThenBodyWhen(ScriptedResponse, ready: @Sendable () async -> Void)
}
