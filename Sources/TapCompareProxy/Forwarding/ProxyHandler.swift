import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCore
import TapCompareGRPC
import TapCompareMirroring

/// One client connection: forwards each request to legacy and its response back, streaming both directions
/// with backpressure, and taps sampled exchanges for the candidate.
///
/// What happens when is decided by ``ProxyRequestStateMachine``: this handler feeds it the connection's events
/// and performs the actions it returns — the I/O, the header rewriting, the mirroring copies and the metrics.
/// Everything happens on the connection's event loop: the legacy connection is leased from that loop's pool, so
/// forwarding is plain method calls — no futures per part, no hops, no locks.
///
/// Pipelined requests are buffered by the machine (NIO's `HTTPServerPipelineHandler` is not in the pipeline), so
/// `read()` passes straight through between requests and the socket's read interest stays registered.
/// Backpressure: client reads are held while the legacy connection is being set up or cannot take more request
/// bytes, and past the pipelining watermark (``PipelinedRequestBuffer``); legacy reads are held while the client
/// cannot take more response bytes — for at most `listener.send_timeout` with none of them reaching the client, after
/// which the client is cut off and the legacy call abandoned (``SendDeadline``).
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamResponseReceiver, UpstreamLeaseReceiver {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let loop: LoopContext
    private let shared: ProxyShared
    private var context: ChannelHandlerContext!
    private var clientAddress: String?
    /// The connection's `listener.header_timeout` (HTTP/1.1 only; not in an HTTP/2 stream's pipeline).
    private var headerTimeout: HeaderTimeoutHandler?
    private var machine = ProxyRequestStateMachine()
    /// Buffered pipelined parts are being replayed (``afterEvent()``); a nested event leaves that to the loop.
    private var replaying = false
    /// `listener.send_timeout`, made at the first stall (see ``sendStallChanged(progressed:)``).
    private var sendTimer: SendTimeoutTimer?
    /// The last write of a response that ends the connection (an HTTP/2 stream) has not gone out yet.
    private var lastWritePending = false

    // MARK: The current request's data (its progress is the machine's)

    /// Bumped per request and per abandoned call, so a pool callback for an abandoned request is recognised.
    private var generation = 0
    private var upstreamHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private var routeMetrics: RouteMetrics?
    private var requestID = ""
    private var start = NIODeadline.uptimeNanoseconds(0)
    private var upstream: UpstreamConnection?
    /// Request parts waiting for the legacy connection; bounded, as client reads are held while connecting.
    private var pendingParts: [HTTPClientRequestPart] = []
    private var requestBodyBytes = 0
    private var needsUpstreamFlush = false
    private var needsClientFlush = false
    /// The client speaks HTTP/2 (this handler serves one stream): trailers always reach it.
    private var clientIsHTTP2 = false
    /// The HTTP/1.1 client sent `TE: trailers` (see ``ResponseTrailers``).
    private var clientAcceptsTrailers = false
    /// Legacy's response body reaches an HTTP/1.1 client chunked (no `Content-Length`), so trailers fit after it.
    private var responseHasTrailerRoom = false
    /// Legacy's trailers, written with the response's end.
    private var responseTrailers: HTTPHeaders?

    // MARK: Mirroring of the current request

    private var exchange: PendingExchange?
    private var candidateStarted = false
    /// Set with ``exchange``.
    private var capture: MirrorCapture?

    init(loop: LoopContext) {
        self.loop = loop
        self.shared = loop.shared
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.clientAddress = context.channel.remoteAddress?.ipAddress
        self.headerTimeout = try? context.pipeline.syncOperations.handler(type: HeaderTimeoutHandler.self)
    }

    /// A connection that becomes a tunnel removes this handler (the tunnel's own idle timeout governs it then); a
    /// closed channel removes it too.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopSendTimer()
    }

    // MARK: Client → legacy

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.perform(self.machine.requestPartReceived(self.unwrapInboundIn(data)))
        self.afterEvent()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsUpstreamFlush, let upstream = self.upstream {
            self.needsUpstreamFlush = false
            upstream.handler.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        switch self.machine.readRequested() {
        case .read: context.read()
        case .hold: break
        }
    }

    /// After every event: replays pipelined parts the connection can now take, then issues a held read when
    /// reads may resume.
    private func afterEvent() {
        if !self.replaying, !self.machine.pipelined.isEmpty {
            self.replaying = true
            while let action = self.machine.nextPipelinedPart() { self.perform(action) }
            self.replaying = false
            // Replayed outside a read burst: nothing else flushes what went to legacy.
            if self.needsUpstreamFlush, let upstream = self.upstream {
                self.needsUpstreamFlush = false
                upstream.handler.flush()
            }
        }
        if self.machine.resumeReading() { self.context.read() }
    }

    private func perform(_ action: ProxyRequestStateMachine.Action) {
        switch action {
        case .none, .dropResponseHead:
            break
        case .startRequest(let head):
            self.startRequest(head)
        case .refuse(let refusal):
            self.headerTimeout?.headReceived()
            self.refuse(refusal)
        case .forwardBody(let buffer, let legacyConnected, let heldHead):
            if let heldHead { self.sendHeldHead(framed: heldHead, legacyConnected: legacyConnected) }
            self.forwardBody(buffer, legacyConnected: legacyConnected)
        case .forwardEnd(let trailers, let legacyConnected, let heldHead):
            if let heldHead { self.sendHeldHead(framed: heldHead, legacyConnected: legacyConnected) }
            self.forwardEnd(trailers, legacyConnected: legacyConnected)
        case .refuseStartedRequest(let refusal):
            // Legacy's head was held: nothing reached legacy, and its connection (if leased) is closed, not reused.
            self.giveUpLegacy(.clientAborted)
            self.refuse(refusal)
        case .sendQueuedToLegacy:
            // Performed where the connection is at hand (``acquireLegacy(fresh:)``).
            break
        case .retryLegacy:
            self.upstream = nil
            self.pendingParts.removeAll(keepingCapacity: true)
            self.pendingParts.append(.end(nil))
            self.acquireLegacy(fresh: true)
        case .forwardResponseHead, .forwardInformationalHead, .forwardSwitchingProtocolsHead, .forwardResponseBody,
            .keepResponseBodyForComparison:
            // Performed where legacy's part is at hand (``upstreamResponseHead(_:)``, ``upstreamResponseBodyPart(_:)``).
            break
        case .finishResponse(let close, let requestComplete):
            self.finishResponse(close: close, requestComplete: requestComplete)
        case .completeComparison:
            // Legacy's answer was read for the comparison only; there is no client to write it to.
            self.resetRequest()
        case .respondWithError(let error, let status, let version, let connection, let close, let requestComplete):
            self.respondWithError(error, status: status, version: version, connection: connection)
            self.finishResponse(close: close, requestComplete: requestComplete)
        case .failAfterResponseStarted(let closeClient):
            // Part of legacy's response is already with the client: cutting the connection is the only
            // faithful way to tell it the response is incomplete.
            let exchange = self.exchange
            self.resetRequest()
            exchange?.abandon(.legacyError)
            if closeClient { self.context.close(promise: nil) }
        case .keepReadingForComparison:
            self.needsClientFlush = false
            // Reads may be paused for the client's sake (its socket was full); there is no client to wait for.
            self.upstream?.handler.setReadPaused(false)
        case .abandonLegacy(let reason):
            self.giveUpLegacy(reason)
        case .abortRequest(let reason):
            self.giveUpLegacy(reason)
            self.context.close(promise: nil)
        case .startTunnel, .rejectSwitchingProtocols:
            // Performed where legacy's connection is at hand (``upstreamSwitchedProtocols(_:)``).
            break
        case .close:
            self.context.close(promise: nil)
        case .cutOff(let abandonLegacy):
            if let abandonLegacy { self.giveUpLegacy(abandonLegacy) }
            self.cutOffClient()
        }
    }

    private func startRequest(_ head: HTTPRequestHead) {
        // The head is complete: its deadline (listener.header_timeout) no longer applies.
        self.headerTimeout?.headReceived()
        var head = head
        let (target, authority) = RequestTarget.originForm(head.uri)
        if let authority {
            head.uri = target
            if self.shared.configuration.preserveHost { head.headers.replaceOrAdd(name: "Host", value: String(authority)) }
        }
        self.generation &+= 1
        self.start = .now()
        self.requestBodyBytes = 0
        self.candidateStarted = false
        self.clientIsHTTP2 = head.version.major == 2
        self.clientAcceptsTrailers = ResponseTrailers.accepted(by: head)
        self.responseHasTrailerRoom = false
        self.responseTrailers = nil
        let upgradeRequested = self.machine.currentRequest?.upgradeRequested ?? false

        let configuration = self.shared.configuration
        let mirror = self.shared.mirror
        let path = RequestSnapshot.path(of: head.uri)
        let method = head.method.rawValue
        let routingPath = RequestTarget.withoutDotSegments(path).map { Substring($0) } ?? path
        let match = mirror.routes.match(method: method, path: routingPath)
        let routeMetrics = self.loop.metrics(forRoute: match.template == nil ? Self.derivedRouteName(head, path: path, match: match.name) : match.name)
        self.routeMetrics = routeMetrics

        let sentID = head.headers.first(name: configuration.requestIDHeader)
        self.requestID = sentID ?? self.loop.requestIDs.next()

        let endToEnd = UpstreamRequestHeads.endToEnd(
            head.headers, shadowHeaderName: mirror.shadowHeaderName, trustForwardedHeaders: configuration.trustForwardedHeaders
        )
        self.upstreamHead = UpstreamRequestHeads.legacy(
            for: head,
            framing: self.machine.currentRequest?.bodyFraming ?? RequestBodyFraming(head: head),
            endToEnd: endToEnd,
            configuration: configuration,
            clientAddress: self.clientAddress,
            proto: self.shared.tls.forwardedProto,
            requestID: self.requestID,
            requestIDWasSent: sentID != nil,
            upgradeRequested: upgradeRequested
        )

        let eligibility = MirrorEligibility.decide(
            method: head.method,
            readsOnly: Self.isReadOnlyGRPCCall(head, path: path, policy: mirror.grpcReadCalls),
            isUpgrade: HopByHopHeaders.isUpgrade(head),
            hasCandidate: self.loop.candidatePool != nil,
            policy: match.value,
            globalRate: mirror.sampleRate,
            key: mirror.sampleKey?.value(uri: head.uri, headers: head.headers),
            sampler: &self.loop.sampler
        )
        switch eligibility {
        case .mirror:
            self.exchange = PendingExchange(
                sink: self.loop.exchanges,
                metrics: self.shared.metrics,
                id: self.loop.requestIDs.nextUUID(),
                requestID: self.requestID,
                route: routeMetrics.route,
                request: RequestSnapshot(method: head.method, uri: head.uri, version: head.version, headers: endToEnd)
            )
            self.capture = MirrorCapture(maxRequestBodyBytes: mirror.maxBodyBytes, maxResponseBodyBytes: mirror.maxResponseBodyBytes)
        case .skip(let reason):
            self.exchange = nil
            self.capture = nil
            self.shared.metrics.skip(reason)
        }

        self.shared.metrics.legacyInFlight.increment()
        self.acquireLegacy(fresh: false)
    }

    /// The name of a request no configured route names: the derived template, except for a gRPC call, which is
    /// named by its method (`/tapcompare.demo.Comments/GetComment`), as diff-rules and reports name it.
    static func derivedRouteName(_ head: HTTPRequestHead, path: Substring, match: String) -> String {
        guard head.method == .POST, let contentType = head.headers.first(name: "content-type"), GRPCContentType.isGRPC(contentType),
            GRPCMethodPolicy.isCallPath(path)
        else { return match }
        return String(path)
    }

    /// A gRPC call (any `application/grpc` codec) whose method `grpc.read_methods` names: it only reads, although
    /// it is a POST. Checked only when some read method is configured, so plain HTTP pays nothing.
    static func isReadOnlyGRPCCall(_ head: HTTPRequestHead, path: Substring, policy: GRPCMethodPolicy) -> Bool {
        guard !policy.readMethods.isEmpty, head.method == .POST,
            let contentType = head.headers.first(name: "content-type"), GRPCContentType.isGRPC(contentType)
        else { return false }
        return policy.isMirrored(path: path)
    }

    private func acquireLegacy(fresh: Bool) {
        let generation = self.generation
        if fresh {
            self.loop.legacyPool.connect { [self] in self.upstreamLeased($0, token: generation) }
        } else {
            self.loop.legacyPool.acquire(for: self, token: generation)
        }
    }

    /// Legacy's connection for the request of generation `token` (``acquireLegacy(fresh:)``).
    func upstreamLeased(_ result: Result<UpstreamConnection, UpstreamError>, token: Int) {
        guard token == self.generation else {
            // The request was abandoned while connecting; the connection is still clean.
            if case .success(let connection) = result { connection.release() }
            return
        }
        switch result {
        case .success(let connection):
            guard case .sendQueuedToLegacy = self.machine.legacyConnected(writable: true, reused: connection.reused) else {
                connection.release()
                return
            }
            self.legacyConnected(connection)
        case .failure(let error):
            self.legacyFailed(error, responseStarted: false)
        }
        self.afterEvent()
    }

    private func legacyConnected(_ connection: UpstreamConnection) {
        self.upstream = connection
        connection.begin(receiver: self)
        let handler = connection.handler
        // A held head goes with the request's first content or its end (``sendHeldHead(framed:legacyConnected:)``).
        if self.machine.currentRequest?.isLegacyHeadHeld != true { handler.write(.head(self.upstreamHead)) }
        for part in self.pendingParts { handler.write(part) }
        self.pendingParts.removeAll(keepingCapacity: true)
        handler.flush()
        self.needsUpstreamFlush = false
        if !handler.isWritable { self.machine.legacyWritabilityChanged(writable: false) }
    }

    /// Legacy's head, held until the request's first content or its end (an HTTP/2 client's `GET` without
    /// `content-length` may or may not have DATA; see ``RequestBodyFraming/pending``), framed now that it is known:
    /// chunked before a body, unchanged without one, so a bodiless request stays as it was and a body is never
    /// written unframed. Written at once when legacy's connection is there, else with it (``legacyConnected(_:)``).
    /// The legacy connection is leased meanwhile, and HEADERS with END_STREAM (or the first DATA) arrive in the same
    /// read, so holding the head adds no latency.
    private func sendHeldHead(framed framing: RequestBodyFraming, legacyConnected: Bool) {
        UpstreamRequestHeads.frameHeldHead(&self.upstreamHead, as: framing)
        if legacyConnected, let upstream = self.upstream {
            upstream.handler.write(.head(self.upstreamHead))
            self.needsUpstreamFlush = true
        }
    }

    private func forwardBody(_ buffer: ByteBuffer, legacyConnected: Bool) {
        self.requestBodyBytes += buffer.readableBytes
        if !self.candidateStarted { self.capture?.requestBodyPart(buffer) }
        let part = HTTPClientRequestPart.body(.byteBuffer(buffer))
        if legacyConnected, let upstream = self.upstream {
            upstream.handler.write(part)
            self.needsUpstreamFlush = true
            if !upstream.handler.isWritable { self.machine.legacyWritabilityChanged(writable: false) }
        } else {
            self.pendingParts.append(part)
        }
    }

    private func forwardEnd(_ trailers: HTTPHeaders?, legacyConnected: Bool) {
        if var kept = trailers, !kept.isEmpty {
            // Kept with the exchange, so a capture holds them and a replay sends them again.
            HopByHopHeaders.strip(&kept)
            self.exchange?.request.trailers = ResponseTrailers.fields(kept)
        }
        let part = HTTPClientRequestPart.end(trailers)
        if legacyConnected, let upstream = self.upstream {
            upstream.handler.write(part)
            upstream.handler.flush()
            self.needsUpstreamFlush = false
        } else {
            self.pendingParts.append(part)
        }
        self.startCandidate(trailers: trailers)
    }

    /// Mirrors the request once its body is complete, within the body cap and the in-flight bound.
    /// - Parameter trailers: the client's request trailers (HTTP/2, or chunked HTTP/1.1), sent on as legacy got them.
    private func startCandidate(trailers: HTTPHeaders?) {
        guard let exchange = self.exchange, let capture = self.capture, !self.candidateStarted else { return }
        self.candidateStarted = true
        exchange.request.body = capture.requestBodyFits ? capture.requestBody : ByteBuffer()
        exchange.request.bodyLength = self.requestBodyBytes
        if exchange.skipReason != nil {
            // Legacy already failed: nothing to compare against, so the candidate is not bothered.
            exchange.candidateCompleted(.skipped(.legacyError))
            return
        }
        guard capture.requestBodyFits else {
            exchange.candidateCompleted(.skipped(.bodyTooLarge))
            return
        }
        guard let pool = self.loop.candidatePool, self.shared.limiter.tryAcquire() else {
            exchange.candidateCompleted(.skipped(.maxInFlight))
            return
        }
        let head = UpstreamRequestHeads.candidate(
            for: exchange.request,
            bodyBytes: self.requestBodyBytes,
            target: pool.target,
            configuration: self.shared.configuration,
            mirror: self.shared.mirror,
            clientAddress: self.clientAddress,
            proto: self.shared.tls.forwardedProto,
            requestID: self.requestID
        )
        let call = CandidateCall(
            loop: self.loop,
            exchange: exchange,
            routeMetrics: self.routeMetrics!,
            head: head,
            body: exchange.request.body,
            trailers: trailers
        )
        call.start(pool: pool)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        self.machine.legacyWritabilityChanged(writable: isWritable)
        self.afterEvent()
    }

    // MARK: Legacy → client

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        let action = self.machine.responseHead(head)
        var headers = head.headers
        switch action {
        case .forwardSwitchingProtocolsHead(let version):
            HopByHopHeaders.strip(&headers)
            for value in head.headers["upgrade"] { headers.add(name: "Upgrade", value: value) }
            headers.add(name: "Connection", value: "Upgrade")
            self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
        case .forwardInformationalHead(let version):
            // An informational answer (e.g. 100 Continue) the client may be waiting for.
            HopByHopHeaders.strip(&headers)
            self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
        case .forwardResponseHead(let version, let connection):
            HopByHopHeaders.strip(&headers)
            self.capture?.responseHead(status: head.status, version: head.version, headers: headers)
            switch connection {
            case .close: headers.add(name: "connection", value: "close")
            case .keepAlive: headers.add(name: "connection", value: "keep-alive")
            case nil: break
            }
            self.routeMetrics?.countRequest(status: head.status.code)
            self.responseHasTrailerRoom = version == .http1_1 && ResponseTrailers.fitInHTTP1(responseHeaders: headers)
            self.context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
            self.needsClientFlush = true
        default:
            self.perform(action)
        }
    }

    func upstreamResponseBodyPart(_ buffer: ByteBuffer) {
        self.capture?.responseBodyPart(buffer)
        switch self.machine.responseBodyPart() {
        case .forwardResponseBody:
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            self.needsClientFlush = true
            if !self.context.channel.isWritable {
                // Pause first: the flush may drain the socket and report writability synchronously, which
                // resumes reading at once.
                self.upstream?.handler.setReadPaused(true)
                self.needsClientFlush = false
                self.context.flush()
            }
        case .keepResponseBodyForComparison:
            if self.capture?.responseWithinCap == false {
                // Past the comparison cap the exchange could not be compared anyway: stop reading for nobody.
                self.perform(self.machine.comparisonAbandoned())
            }
        default:
            break
        }
    }

    func upstreamReadComplete() {
        if self.needsClientFlush {
            self.needsClientFlush = false
            self.context.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if writable {
            self.upstream?.handler.setReadPaused(false)
        }
        self.sendStallChanged(progressed: writable)
        context.fireChannelWritabilityChanged()
    }

    func upstreamResponseEnd(trailers: HTTPHeaders?) {
        self.upstream = nil
        if var trailers, !trailers.isEmpty {
            HopByHopHeaders.strip(&trailers)
            self.capture?.responseTrailers(trailers)
            self.responseTrailers = trailers
        }
        let elapsed = (NIODeadline.now() - self.start).nanoseconds
        self.shared.metrics.legacyInFlight.decrement()
        self.routeMetrics?.legacyLatency.recordNanoseconds(elapsed)
        if let exchange = self.exchange, let capture = self.capture, let response = capture.legacyResponse {
            if !capture.responseWithinCap { exchange.markSkipped(.responseTooLarge) }
            exchange.legacyCompleted(response, latency: .nanoseconds(elapsed))
        }
        self.perform(self.machine.responseEnd())
        self.afterEvent()
    }

    /// Ends the response to the client. The request's state is reset first: the machine may replay the next
    /// pipelined request right after (``afterEvent()``).
    private func finishResponse(close: Bool, requestComplete: Bool) {
        let exchange = self.exchange
        let candidateStarted = self.candidateStarted
        let requestBodyBytes = self.requestBodyBytes
        let requestBodyFits = self.capture?.requestBodyFits ?? true
        let trailers = self.trailersForClient()
        self.resetRequest()
        self.needsClientFlush = false
        if close {
            // Legacy answered before the upload ended: the client is still sending, and a plain close could
            // reset the connection before it reads the answer. An HTTP/2 stream always ends here (its head is not
            // keep-alive), and its end may wait on a client that never opens its flow-control window while the stream
            // stays writable (what waits is under the stream's watermark): `writeLast` starts the clock then.
            self.writeLast(.end(trailers), then: requestComplete ? .close : .lingeringClose)
        } else {
            // Before the next head is replayed: its deadline must not run while this connection is between
            // requests.
            self.headerTimeout?.responseEnded()
            self.context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: nil)
        }
        // Legacy answered before the request body ended: the candidate gets no (partial) copy. A body already
        // over `mirror.max_body_bytes` would not have been mirrored anyway; any other is skipped for the early answer.
        if !requestComplete, let exchange, !candidateStarted {
            self.candidateStarted = true
            exchange.request.bodyLength = requestBodyBytes
            exchange.candidateCompleted(.skipped(requestBodyFits ? .legacyAnsweredEarly : .bodyTooLarge))
        }
    }

    /// Legacy's trailers as the client gets them: unchanged to an HTTP/2 client; to an HTTP/1.1 client only when it
    /// sent `TE: trailers` and the body is chunked, otherwise dropped and counted (`tapcompare_trailers_dropped_total`).
    private func trailersForClient() -> HTTPHeaders? {
        guard let trailers = self.responseTrailers else { return nil }
        self.responseTrailers = nil
        if self.clientIsHTTP2 || (self.clientAcceptsTrailers && self.responseHasTrailerRoom) { return trailers }
        self.shared.metrics.trailersDropped.increment()
        return nil
    }

    private func resetRequest() {
        self.upstream = nil
        self.exchange = nil
        self.capture = nil
        self.routeMetrics = nil
        self.pendingParts.removeAll(keepingCapacity: true)
    }

    func upstreamSwitchedProtocols(_ connection: UpstreamConnection) {
        switch self.machine.switchedProtocols(clientActive: self.context.channel.isActive) {
        case .startTunnel:
            self.upstream = nil
            let elapsed = (NIODeadline.now() - self.start).nanoseconds
            self.shared.metrics.legacyInFlight.decrement()
            self.routeMetrics?.legacyLatency.recordNanoseconds(elapsed)
            self.routeMetrics?.countRequest(status: HTTPResponseStatus.switchingProtocols.code)
            self.resetRequest()
            do {
                try Tunnel.splice(
                    client: self.context.channel, upstream: connection, idleTimeout: self.shared.configuration.clientIdleTimeout,
                    drain: Tunnel.DrainTimeouts(self.shared.configuration), metrics: self.shared.metrics,
                    clientInputClosed: self.machine.isInputClosed
                )
            } catch {
                self.shared.logger.info("could not start a tunnel", metadata: ["request.id": "\(self.requestID)", "error": "\(error)"])
                connection.close()
                self.context.close(promise: nil)
            }
        case .rejectSwitchingProtocols(let failRequest):
            connection.close()
            // A 101 nobody asked for: legacy's answer is unusable.
            if failRequest { self.legacyFailed(.invalidResponse, responseStarted: false) }
            self.afterEvent()
        default:
            connection.close()
        }
    }

    func upstreamFailed(_ error: UpstreamError, responseStarted: Bool) {
        self.upstream = nil
        self.legacyFailed(error, responseStarted: responseStarted)
        self.afterEvent()
    }

    private func legacyFailed(_ error: UpstreamError, responseStarted: Bool) {
        let action = self.machine.legacyFailed(error, responseStarted: responseStarted)
        switch action {
        case .none:
            return
        case .retryLegacy:
            self.perform(action)
            return
        default:
            break
        }
        self.upstream = nil
        self.shared.metrics.legacyInFlight.decrement()
        self.shared.metrics.upstreamError(error, side: .legacy)
        self.shared.logger.info(
            "legacy request failed",
            metadata: [
                "request.id": "\(self.requestID)",
                "route": "\(self.routeMetrics?.route ?? "")",
                "error": "\(error.debugDescription)",
                "response.started": "\(responseStarted)",
            ]
        )
        if let exchange = self.exchange {
            exchange.markSkipped(.legacyError)
            if !self.candidateStarted {
                self.candidateStarted = true
                exchange.candidateCompleted(.skipped(.legacyError))
            }
        }
        self.perform(action)
    }

    /// Writes the proxy's own answer when legacy failed before answering (the response's end follows).
    private func respondWithError(
        _ error: UpstreamError, status: HTTPResponseStatus, version: HTTPVersion, connection: ProxyRequestStateMachine.ConnectionHeader?
    ) {
        let response = LocalResponse.legacyFailure(
            error, status: status, version: version, connection: connection,
            requestIDHeader: self.shared.configuration.requestIDHeader, requestID: self.requestID,
            allocator: self.context.channel.allocator
        )
        self.routeMetrics?.countRequest(status: status.code)
        self.exchange?.legacyCompleted(
            ResponseSnapshot(status: status, version: version, headers: response.head.headers, body: response.body),
            latency: .nanoseconds((NIODeadline.now() - self.start).nanoseconds)
        )
        self.context.write(self.wrapOutboundOut(.head(response.head)), promise: nil)
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
    }

    /// Answers a request the proxy will not forward, counts it, and closes the connection (its body, if any,
    /// is not read).
    private func refuse(_ refusal: ClientRefusal) {
        self.shared.metrics.refused(refusal)
        let response = LocalResponse.refusal(
            status: refusal.status ?? .badRequest, explanation: refusal.explanation, allocator: self.context.channel.allocator
        )
        self.context.write(self.wrapOutboundOut(.head(response.head)), promise: nil)
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        self.writeLast(.end(nil), then: .lingeringClose)
    }

    // MARK: Client connection events

    func channelInactive(context: ChannelHandlerContext) {
        self.stopSendTimer()
        self.clientClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.clientClosed()
        // A request the parser rejected is answered and closed by `RequestRefusalHandler`.
        if error is HTTPParserError { return }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // An idle keep-alive connection (or a client stalled before sending a head): close it.
            self.perform(self.machine.idleTimeoutFired())
            return
        }
        if event is ChannelShouldQuiesceEvent {
            // Graceful shutdown; `HTTPServerPipelineHandler`, which used to handle it, is not in the pipeline.
            self.perform(self.machine.quiesce())
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            // The client shut its sending side (an HTTP/1.1 connection on a listener that allows it, see
            // `ProxyServer.allowsRemoteHalfClosure`; an HTTP/2 stream never gets this event): what it sent whole is
            // still answered. The decoder has already parsed what it had (`decodeLast`).
            self.perform(self.machine.inputClosed())
            self.afterEvent()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The client went away (or its connection failed) mid-request: see
    /// ``ProxyRequestStateMachine/clientClosed(comparable:)``.
    private func clientClosed() {
        let comparable = self.capture?.responseWithinCap ?? false
        self.perform(self.machine.clientClosed(comparable: comparable))
    }

    /// Abandons the legacy call in progress and the exchange with `reason`.
    private func giveUpLegacy(_ reason: SkipReason) {
        let exchange = self.exchange
        self.shared.metrics.legacyInFlight.decrement()
        self.upstream?.handler.abandon()
        self.generation &+= 1
        self.resetRequest()
        exchange?.abandon(reason)
    }

    // MARK: listener.send_timeout

    /// How the connection closes once a response's last write went out.
    private enum LastWriteClose {
        case close
        /// The client may still be sending (``LingeringClose``).
        case lingeringClose
    }

    /// Writes the last part of a response after which the connection closes (an HTTP/2 stream always does), and
    /// closes it once that went out. Until then the response waits on the client: one that takes none of it is cut off
    /// after `listener.send_timeout`, else the close (and a graceful shutdown) would wait for it forever. The promise
    /// is the one such a response always needed for its close: a keep-alive response pays nothing.
    private func writeLast(_ part: HTTPServerResponsePart, then close: LastWriteClose) {
        let context = self.context!
        let promise = context.eventLoop.makePromise(of: Void.self)
        self.lastWritePending = true
        context.writeAndFlush(self.wrapOutboundOut(part), promise: promise)
        // Runs at once when the write already went out (the usual case): then no clock ever starts.
        promise.futureResult.assumeIsolated().whenComplete { [self] _ in
            self.lastWritePending = false
            if self.sendTimer != nil { self.sendStallChanged(progressed: true) }
            switch close {
            case .close: context.close(promise: nil)
            case .lingeringClose: LingeringClose.start(context)
            }
        }
        if self.lastWritePending { self.sendStallChanged(progressed: false) }
    }

    /// The response may have started or stopped waiting on the client: the channel's writability changed
    /// (`progressed` when it became writable: bytes left), or a last write is pending or went out. The timer is made
    /// at the first stall; until then this costs a writability check.
    private func sendStallChanged(progressed: Bool) {
        let stalled = !self.context.channel.isWritable || self.lastWritePending
        if let timer = self.sendTimer {
            timer.update(stalled: stalled, progressed: progressed)
        } else if stalled, self.context.channel.isActive {
            let timer = SendTimeoutTimer(timeout: self.shared.configuration.sendTimeout, channel: self.context.channel) { [self] in
                self.sendTimedOut()
            }
            self.sendTimer = timer
            timer.update(stalled: true, progressed: false)
        }
    }

    private func stopSendTimer() {
        self.sendTimer?.stop()
        self.sendTimer = nil
    }

    /// The client took none of its response for `listener.send_timeout`.
    private func sendTimedOut() {
        self.sendTimer = nil
        guard self.context.channel.isActive else { return }
        self.shared.metrics.sendTimeouts.increment()
        self.shared.logger.debug(
            "client took none of its response for listener.send_timeout; cutting it off",
            metadata: ["request.id": "\(self.requestID)", "client.address": "\(self.clientAddress ?? "")"]
        )
        let action = self.machine.sendTimedOut()
        if action == .none {
            // The machine holds the connection for gone while it is still open: a request the parser refused is being
            // answered by ``RequestRefusalHandler``, behind earlier responses the client does not take either.
            self.cutOffClient()
        } else {
            self.perform(action)
        }
    }

    /// Cuts a client off mid-response: an HTTP/1.1 connection is reset (SO_LINGER 0), so the kernel drops the bytes
    /// the client never read at once instead of keeping them, and the client sees the response is incomplete; an
    /// HTTP/2 stream is reset (RST_STREAM), its connection goes on.
    private func cutOffClient() {
        let context = self.context!
        guard let socket = context.channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
