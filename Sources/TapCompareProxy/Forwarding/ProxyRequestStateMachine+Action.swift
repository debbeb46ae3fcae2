import NIOCore
import NIOHTTP1
import TapCompareCore

extension ProxyRequestStateMachine {
    /// The `Connection` header the proxy adds to a response for the client.
    enum ConnectionHeader: Equatable {
        case close
        /// Only for HTTP/1.0 clients, which keep a connection only when told so.
        case keepAlive
    }

    /// What ``ProxyHandler`` must do after an event: the machine decides, the handler does the I/O.
    enum Action: Equatable {
        case none

        // MARK: Client → legacy

        /// A new request: rewrite its head, decide mirroring, lease a legacy connection and send the head.
        case startRequest(HTTPRequestHead)
        /// Answer a request the proxy will not forward, then close the connection.
        case refuse(ClientRefusal)
        /// A request body part: to legacy now (`legacyConnected`) or queued until the connection is there.
        /// `heldHead`: legacy's head was held (``Request/isLegacyHeadHeld``) and goes first, framed so.
        case forwardBody(ByteBuffer, legacyConnected: Bool, heldHead: RequestBodyFraming? = nil)
        /// The request's end: to legacy now or queued; the candidate call may start. `heldHead` as for
        /// ``forwardBody(_:legacyConnected:heldHead:)``.
        case forwardEnd(HTTPHeaders?, legacyConnected: Bool, heldHead: RequestBodyFraming? = nil)
        /// Content arrived for a request already started whose method must not carry any (an HTTP/2 `TRACE` with
        /// DATA): legacy's head was held, so nothing reached legacy. Abandon the legacy call, then refuse as
        /// ``refuse(_:)``.
        case refuseStartedRequest(ClientRefusal)
        /// The legacy connection is there: send it what was queued (legacy's head first, unless it is held).
        case sendQueuedToLegacy
        /// A pooled connection legacy had closed while idle: lease a fresh one and send the request again.
        case retryLegacy

        // MARK: Legacy → client

        /// Legacy's final response head, for a client speaking `version`, with `connection` added.
        case forwardResponseHead(version: HTTPVersion, connection: ConnectionHeader?)
        /// A 1xx head the client may be waiting for (e.g. `100 Continue`).
        case forwardInformationalHead(version: HTTPVersion)
        /// Legacy agreed to switch protocols: forward its `101` (the tunnel starts at the response's end).
        case forwardSwitchingProtocolsHead(version: HTTPVersion)
        /// A head the client must not see (a 1xx to an HTTP/1.0 client, a `101` nobody asked for).
        case dropResponseHead
        case forwardResponseBody
        /// The client is gone: legacy's body is only kept for the comparison.
        case keepResponseBodyForComparison
        /// Write the response's end; close after it when `close`. `requestComplete` tells whether the client's
        /// request had ended (if not, legacy answered early and the candidate gets no partial copy).
        case finishResponse(close: Bool, requestComplete: Bool)
        /// Legacy's answer, read for the comparison after the client left, is complete.
        case completeComparison

        // MARK: Failures

        /// Legacy failed (`error`) before answering: the client gets `status` (502, or 504 for a timeout) and the
        /// response is finished as with ``finishResponse(close:requestComplete:)``.
        case respondWithError(
            UpstreamError, status: HTTPResponseStatus, version: HTTPVersion, connection: ConnectionHeader?, close: Bool,
            requestComplete: Bool
        )
        /// Legacy failed after part of its response reached the client: record the failure and cut the client's
        /// connection (`closeClient`; not when it is already gone) — the only faithful way to say "incomplete".
        case failAfterResponseStarted(closeClient: Bool)
        /// The client left while legacy answers a sampled request: keep reading legacy for the comparison.
        case keepReadingForComparison
        /// Abandon the legacy call in progress (its connection is closed) and the exchange with `reason`.
        case abandonLegacy(SkipReason)
        /// The client ended its side mid-request: abandon the legacy call and the exchange with `reason`, as
        /// ``abandonLegacy(_:)``, then close the client connection.
        case abortRequest(SkipReason)

        // MARK: Connection

        /// Legacy switched protocols as the client asked: splice the two connections into a tunnel.
        case startTunnel
        /// A `101` arrived that cannot become a tunnel: close legacy's connection; when it answered the request in
        /// progress (nobody asked for it) the request fails as ``UpstreamError/invalidResponse``.
        case rejectSwitchingProtocols(failRequest: Bool)
        /// Close the client connection now.
        case close
        /// The client took none of its response for `listener.send_timeout`: abandon the legacy call still answering
        /// (when there is one) with `abandonLegacy`, then cut the client off — reset its connection (its HTTP/2 stream).
        case cutOff(abandonLegacy: SkipReason?)
    }

    /// What to do with a `read()` from the channel.
    enum ReadAction: Equatable {
        case read
        /// Not now: ``ProxyRequestStateMachine/resumeReading()`` says when.
        case hold
    }
}
