import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareMirroring

/// The requests of one client connection, as a pure state machine: ``ProxyHandler`` feeds it what happened
/// (request parts, the legacy call's progress, the client's reads, half-close and departure, shutdown) and performs the
/// ``Action`` it returns. No I/O happens here, so every transition is tested without sockets
/// (`ProxyRequestStateMachineTests`).
///
/// Requests are answered one at a time, in order. The machine owns HTTP/1.1 pipelining (NIO's
/// `HTTPServerPipelineHandler` is not in the pipeline): parts of a request that arrive while the previous response
/// is in progress wait in a bounded ``PipelinedRequestBuffer`` and are replayed, in order, through
/// ``nextPipelinedPart()`` when it ends. Reads stay registered meanwhile; they are held only while legacy
/// cannot take the request's body (connecting, or its socket full) or past the buffer's watermark — read demand
/// is state here (``readRequested()`` / ``resumeReading()``), as in async-http-client's `HTTPRequestStateMachine`.
struct ProxyRequestStateMachine {
    enum State: Equatable {
        /// Keep-alive, between requests.
        case idle
        /// A request in progress: its upload, the legacy call and the response (see ``Request``).
        case inRequest(Request)
        /// The client left while legacy answered a sampled request: legacy's answer is still read, for the
        /// comparison only (see ``clientClosed(comparable:)``).
        case clientGone
        /// The connection closes (after the response's end is written, or after a refusal); nothing more from
        /// the client is forwarded.
        case closing
        /// The client connection is gone; nothing more happens.
        case closed
        /// The connection became a tunnel to legacy; the HTTP handlers have left.
        case tunnel
    }

    private(set) var state: State = .idle
    private(set) var pipelined = PipelinedRequestBuffer()
    /// Graceful shutdown asked this connection to finish: the current response is its last.
    private(set) var isQuiescing = false
    /// A `read()` was held and is owed to the channel once reads may resume.
    private(set) var readHeld = false
    /// The client shut its sending side (TCP half-close, ``inputClosed()``): nothing more will arrive, so the
    /// connection closes after the last request it sent whole is answered.
    private(set) var isInputClosed = false

    /// The request in progress, if any.
    var currentRequest: Request? {
        if case .inRequest(let request) = self.state { return request }
        return nil
    }

    // MARK: Client → legacy

    /// A request part from the client's decoder.
    mutating func requestPartReceived(_ part: HTTPServerRequestPart) -> Action {
        switch self.state {
        case .closing, .closed, .clientGone, .tunnel:
            return .none
        case .idle where self.pipelined.isEmpty:
            return self.deliver(part)
        case .inRequest(let request) where !request.isUploadComplete && self.pipelined.isEmpty:
            return self.deliver(part)
        case .idle, .inRequest:
            // The next request, pipelined behind a response in progress. A quiescing connection takes no more, nor
            // does one that closes after the current response (the client said `Connection: close`).
            if self.isQuiescing { return .none }
            if let request = self.currentRequest, !request.isKeepAlive { return .none }
            self.pipelined.append(part)
            return .none
        }
    }

    /// The next buffered pipelined part, when the connection can take it: call until `nil` after a response ended.
    mutating func nextPipelinedPart() -> Action? {
        guard !self.pipelined.isEmpty else { return nil }
        switch self.state {
        case .idle:
            break
        case .inRequest(let request) where !request.isUploadComplete:
            break
        case .inRequest, .clientGone, .closing, .closed, .tunnel:
            return nil
        }
        guard let part = self.pipelined.popFirst() else { return nil }
        return self.deliver(part)
    }

    private mutating func deliver(_ part: HTTPServerRequestPart) -> Action {
        switch (self.state, part) {
        case (.idle, .head(let head)):
            if head.uri.contains("\u{FFFD}") {
                // The decoder replaced bytes that are not UTF-8; forwarding the altered target would send legacy
                // a request the client never made.
                self.close()
                return .refuse(.invalidRequestLine)
            }
            if RequestBodyFraming.forbidsContent(head.method) && RequestBodyFraming.announcesContent(head) {
                // NIO's encoder drops a TRACE's framing: its body would reach legacy raw, as a next request.
                self.close()
                return .refuse(.bodyNotAllowed)
            }
            self.state = .inRequest(Request(head: head))
            return .startRequest(head)
        case (.inRequest(var request), .body(let buffer)):
            guard case .streaming(let bytes) = request.upload else { return .none }
            var heldHead: RequestBodyFraming?
            if request.isLegacyHeadHeld {
                // An empty DATA frame carries no content: the head waits on for content or the end.
                if buffer.readableBytes == 0 { return .none }
                if RequestBodyFraming.forbidsContent(request.method) {
                    self.close()
                    return .refuseStartedRequest(.bodyNotAllowed)
                }
                request.bodyFraming = .chunked
                heldHead = .chunked
            }
            request.upload = .streaming(bodyBytes: bytes + buffer.readableBytes)
            self.state = .inRequest(request)
            return .forwardBody(buffer, legacyConnected: request.isLegacyConnected, heldHead: heldHead)
        case (.inRequest(var request), .end(let trailers)):
            guard case .streaming(let bytes) = request.upload else { return .none }
            var heldHead: RequestBodyFraming?
            if request.isLegacyHeadHeld {
                // No content came. Trailers alone still need chunked framing to reach an HTTP/1.1 legacy.
                request.bodyFraming = trailers?.isEmpty == false ? .chunked : .noBody
                heldHead = request.bodyFraming
            }
            request.upload = .ended(bodyBytes: bytes)
            self.state = .inRequest(request)
            return .forwardEnd(trailers, legacyConnected: request.isLegacyConnected, heldHead: heldHead)
        default:
            // The decoder delivers head, body…, end, in order: nothing else reaches here.
            return .none
        }
    }

    /// The legacy connection for the request in progress is there.
    /// - Returns: ``Action/sendQueuedToLegacy``; anything else means nobody waits for it (release it).
    mutating func legacyConnected(writable: Bool, reused: Bool) -> Action {
        guard case .inRequest(var request) = self.state, case .connecting(let fresh) = request.legacy else { return .none }
        request.legacy = .connected(writable: writable, reused: reused, retried: fresh)
        self.state = .inRequest(request)
        return .sendQueuedToLegacy
    }

    /// Legacy's socket can take more request bytes, or cannot.
    mutating func legacyWritabilityChanged(writable: Bool) {
        guard case .inRequest(var request) = self.state, case .connected(_, let reused, let retried) = request.legacy else { return }
        request.legacy = .connected(writable: writable, reused: reused, retried: retried)
        self.state = .inRequest(request)
    }

    // MARK: Legacy → client

    /// Legacy's response head (informational ones included).
    mutating func responseHead(_ head: HTTPResponseHead) -> Action {
        guard case .inRequest(var request) = self.state else { return .none }
        let version = request.responseVersion
        if head.status == .switchingProtocols {
            // Forwarded only to a client that asked to upgrade; the tunnel starts at the response's end.
            return request.upgradeRequested ? .forwardSwitchingProtocolsHead(version: version) : .dropResponseHead
        }
        if head.status.code >= 100 && head.status.code < 200 {
            // HTTP/1.0 has no informational responses.
            return request.isHTTP10 ? .dropResponseHead : .forwardInformationalHead(version: version)
        }
        // HTTP/1.0 has no chunked encoding: a body without Content-Length can only be delimited by closing, so a
        // 1.0 client that asked for keep-alive gets it only when the length is known (or there is no body).
        let closeAfter =
            request.parserStopsAfterRequest || self.isQuiescing || self.isLastRequestOfClosedInput
            || (request.isHTTP10 && request.isKeepAlive && !head.headers.contains(name: "content-length")
                && Self.mayHaveBody(status: head.status, method: request.method))
        let connection: ConnectionHeader?
        if !request.isKeepAlive {
            connection = request.isHTTP10 ? nil : .close
        } else if closeAfter {
            connection = .close
        } else {
            connection = request.isHTTP10 ? .keepAlive : nil
        }
        request.response = .streaming(closeAfter: closeAfter)
        self.state = .inRequest(request)
        return .forwardResponseHead(version: version, connection: connection)
    }

    /// A part of legacy's response body.
    func responseBodyPart() -> Action {
        switch self.state {
        case .inRequest: .forwardResponseBody
        case .clientGone: .keepResponseBodyForComparison
        case .idle, .closing, .closed, .tunnel: .none
        }
    }

    /// Legacy's response is complete.
    mutating func responseEnd() -> Action {
        switch self.state {
        case .inRequest(let request):
            let requestComplete = request.isUploadComplete
            var close = !request.isKeepAlive || !requestComplete || self.isQuiescing || self.isLastRequestOfClosedInput
            if case .streaming(closeAfter: true) = request.response { close = true }
            // A response that ends before its request does closes the connection: the rest of the request can
            // no longer be told apart from a next one.
            if close { self.close() } else { self.state = .idle }
            return .finishResponse(close: close, requestComplete: requestComplete)
        case .clientGone:
            self.state = .closed
            return .completeComparison
        case .idle, .closing, .closed, .tunnel:
            return .none
        }
    }

    /// Legacy answered `101 Switching Protocols` and that response is complete.
    mutating func switchedProtocols(clientActive: Bool) -> Action {
        guard case .inRequest(let request) = self.state else { return .rejectSwitchingProtocols(failRequest: false) }
        guard request.upgradeRequested else { return .rejectSwitchingProtocols(failRequest: true) }
        guard clientActive else { return .rejectSwitchingProtocols(failRequest: false) }
        self.state = .tunnel
        self.pipelined.removeAll()
        return .startTunnel
    }

    // MARK: Failures

    /// The legacy call failed: connecting, sending, or reading the response (`responseStarted` when a final
    /// head had arrived).
    mutating func legacyFailed(_ error: UpstreamError, responseStarted: Bool) -> Action {
        switch self.state {
        case .inRequest(var request):
            if !responseStarted, error == .closedEarly, case .connected(_, reused: true, retried: false) = request.legacy,
                case .ended(bodyBytes: 0) = request.upload, MirrorEligibility.isSafe(request.method)
            {
                // The pooled connection was closed by legacy while idle; try once on a fresh one.
                request.legacy = .connecting(fresh: true)
                self.state = .inRequest(request)
                return .retryLegacy
            }
            if responseStarted || request.response != .waiting {
                self.close()
                return .failAfterResponseStarted(closeClient: true)
            }
            let requestComplete = request.isUploadComplete
            let close =
                !request.isKeepAlive || !requestComplete || request.parserStopsAfterRequest || self.isQuiescing
                || self.isLastRequestOfClosedInput
            let connection: ConnectionHeader? = close ? .close : (request.isHTTP10 ? .keepAlive : nil)
            if close { self.close() } else { self.state = .idle }
            return .respondWithError(
                error,
                status: error.isTimeout ? .gatewayTimeout : .badGateway,
                version: request.responseVersion,
                connection: connection,
                close: close,
                requestComplete: requestComplete
            )
        case .clientGone:
            self.state = .closed
            return .failAfterResponseStarted(closeClient: false)
        case .idle, .closing, .closed, .tunnel:
            return .none
        }
    }

    /// The client connection closed or failed.
    ///
    /// What the client does once legacy is answering changes nothing about the comparison: when the request was
    /// sampled, reached legacy whole and legacy's response head has arrived (`comparable`: the handler also
    /// checks the body kept so far is within `mirror.max_response_body_bytes`), the rest of legacy's answer is
    /// still read and compared as for a patient client. Otherwise legacy never finished answering: the call is
    /// abandoned and there is no comparison (`client_aborted`).
    mutating func clientClosed(comparable: Bool) -> Action {
        self.pipelined.removeAll()
        switch self.state {
        case .inRequest(let request):
            if comparable, request.isUploadComplete, request.isLegacyConnected, case .streaming = request.response {
                self.state = .clientGone
                return .keepReadingForComparison
            }
            self.state = .closed
            return .abandonLegacy(.clientAborted)
        case .clientGone, .tunnel:
            return .none
        case .idle, .closing, .closed:
            self.state = .closed
            return .none
        }
    }

    /// The client shut its sending side (`ChannelEvent.inputClosed`; the listener allows remote half-closure,
    /// see `ProxyServer.allowsRemoteHalfClosure`): it has sent everything it will, and waits for its answers.
    ///
    /// - Between requests (keep-alive), the connection closes: nothing is in progress, nothing is counted.
    /// - A request received whole is answered in full, and so is every whole request pipelined behind it, in order;
    ///   the last of them is answered with `Connection: close` (when its head is not sent yet) and the connection
    ///   closes after it (``isLastRequestOfClosedInput``), as HAProxy answers such clients.
    /// - A request cut short by the client's end (its head or body incomplete) is a client abort, as when the
    ///   client closes the whole connection (``clientClosed(comparable:)``): legacy's call is abandoned, the exchange
    ///   skipped as `client_aborted`, and the connection closed. (The decoder usually reports it first: at the end of
    ///   input it fails a request cut short with `HTTPParserError.invalidEOFState`, which ``RequestRefusalHandler``
    ///   turns into the same abort; this transition covers the request whichever arrives first.)
    mutating func inputClosed() -> Action {
        self.isInputClosed = true
        // A pipelined request cut short never reached legacy: there is nothing to abandon, only parts to drop.
        self.pipelined.removeIncompleteRequest()
        switch self.state {
        case .idle:
            // A whole pipelined request not replayed yet is the next to answer (``nextPipelinedPart()``).
            if self.pipelined.hasCompleteRequest { return .none }
            self.close()
            return .close
        case .inRequest(let request):
            guard request.isUploadComplete else {
                self.close()
                return .abortRequest(.clientAborted)
            }
            return .none
        case .clientGone, .closing, .closed, .tunnel:
            return .none
        }
    }

    /// The request in progress is the last the client will send: it shut its sending side and no whole request
    /// waits behind this one.
    private var isLastRequestOfClosedInput: Bool {
        self.isInputClosed && !self.pipelined.hasCompleteRequest
    }

    /// Legacy's answer for a client that left grew past the comparison cap: reading on serves nobody.
    mutating func comparisonAbandoned() -> Action {
        guard case .clientGone = self.state else { return .none }
        self.state = .closed
        return .abandonLegacy(.responseTooLarge)
    }

    // MARK: Connection

    /// Graceful shutdown (`ChannelShouldQuiesceEvent`): an idle connection closes now; a busy one finishes its
    /// current request, answers it with `Connection: close` (when its head is not sent yet) and closes.
    /// Pipelined requests not started are dropped, as `HTTPServerPipelineHandler` does.
    mutating func quiesce() -> Action {
        self.isQuiescing = true
        switch self.state {
        case .idle:
            self.close()
            return .close
        case .inRequest:
            self.pipelined.removeAll()
            return .none
        case .clientGone, .closing, .closed, .tunnel:
            return .none
        }
    }

    /// The client's idle timeout fired. A connection with a request in progress is governed by the upstream
    /// timeouts instead.
    mutating func idleTimeoutFired() -> Action {
        guard case .idle = self.state else { return .none }
        self.close()
        return .close
    }

    /// The client took none of its response for `listener.send_timeout` (see ``SendDeadline``): it is cut off.
    ///
    /// A legacy call still answering is abandoned — its connection closed rather than pooled with the rest of a
    /// response unread — and the exchange skipped (`send_timeout`): legacy never answered in full, so there is
    /// nothing whole to compare, and reading on for a client that stopped reading would only move the stall. Once
    /// legacy has answered in full the request is no longer in progress here, and its exchange, already handed
    /// legacy's answer, is compared whatever happens to the client.
    mutating func sendTimedOut() -> Action {
        switch self.state {
        case .inRequest:
            self.close()
            return .cutOff(abandonLegacy: .sendTimeout)
        case .idle, .closing:
            // A response whose end is still waiting on the client (the connection closes after it, or an HTTP/2
            // stream ends with it), or bytes of earlier responses.
            self.close()
            return .cutOff(abandonLegacy: nil)
        case .clientGone, .closed, .tunnel:
            return .none
        }
    }

    // MARK: Read demand

    /// The channel asks to read from the client.
    mutating func readRequested() -> ReadAction {
        if self.holdsReads {
            self.readHeld = true
            return .hold
        }
        return .read
    }

    /// Whether a held read must be issued now (it is then no longer held). Ask after every event.
    mutating func resumeReading() -> Bool {
        guard self.readHeld, !self.holdsReads else { return false }
        self.readHeld = false
        return true
    }

    /// In the steady state reads pass straight through, so read interest stays registered between requests.
    /// A connection that is closing keeps reading too: a lingering close drains what the client still sends.
    private var holdsReads: Bool {
        if self.pipelined.isOverWatermark { return true }
        if case .inRequest(let request) = self.state { return request.holdsUpload }
        return false
    }

    private mutating func close() {
        self.state = .closing
        self.pipelined.removeAll()
    }

    /// Whether a response with `status` to a request with `method` carries a body (RFC 9110 §6.4.1).
    static func mayHaveBody(status: HTTPResponseStatus, method: HTTPMethod) -> Bool {
        if method == .HEAD { return false }
        if status == .noContent || status == .notModified { return false }
        return !(status.code >= 100 && status.code < 200)
    }
}

extension ProxyRequestStateMachine.Request {
    var isLegacyConnected: Bool {
        if case .connected = self.legacy { return true }
        return false
    }
}
