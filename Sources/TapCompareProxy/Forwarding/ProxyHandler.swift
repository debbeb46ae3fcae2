import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareMirroring

/// One client connection: forwards each request to legacy and its response back, streaming both directions
/// with backpressure, and taps sampled exchanges for the candidate.
///
/// Requests on a connection are handled one at a time (`HTTPServerPipelineHandler`, in front of this handler,
/// holds pipelined requests back until the previous response has ended). Everything happens on the
/// connection's event loop: the legacy connection is leased from that loop's pool, so forwarding is plain
/// method calls — no futures per part, no hops, no locks.
///
/// Backpressure: client reads are held (`read()` is not passed on) while the legacy connection is being set
/// up or cannot take more request bytes; legacy reads are held while the client cannot take more response
/// bytes. At most one socket read is buffered in each direction, whatever the body size.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamResponseReceiver {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum ResponsePhase {
        case waiting
        case streaming
        case done
    }

    private let loop: LoopContext
    private let shared: ProxyShared
    private var context: ChannelHandlerContext!
    private var clientAddress: String?

    // MARK: Current request (valid while `inRequest`)

    private var inRequest = false
    /// Bumped per request, so a pool callback for an abandoned request is recognised.
    private var generation = 0
    private var clientHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private var upstreamHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private var routeMetrics: RouteMetrics?
    private var requestID = ""
    private var start = NIODeadline.uptimeNanoseconds(0)
    private var upstream: UpstreamConnection?
    private var upstreamWasReused = false
    private var connecting = false
    private var retried = false
    private var pendingParts: [HTTPClientRequestPart] = []
    private var requestEnded = false
    private var requestBodyBytes = 0
    private var needsUpstreamFlush = false
    private var needsClientFlush = false
    private var upstreamUnwritable = false
    private var pendingRead = false
    private var responsePhase = ResponsePhase.waiting
    /// A request was refused (``refuse(_:)``); the connection is closing.
    private var refusedConnection = false
    /// The client asked to switch protocols (`Upgrade` with `Connection: upgrade`, HTTP/1.1): legacy's `101` turns
    /// the connection into a tunnel (``Tunnel``); the request is never mirrored.
    private var upgradeRequested = false
    /// The client's decoder parses nothing after this request (an upgrade request or `CONNECT`): unless the
    /// connection becomes a tunnel, it closes after the response.
    private var parserStopsAfterRequest = false
    /// The response cannot be delimited on a kept-alive connection (an HTTP/1.0 client and a body without
    /// `Content-Length`): it ends with the connection.
    private var closeAfterResponse = false
    /// The client went away after legacy's response head arrived: the rest of legacy's answer is still read
    /// (not forwarded) so the sampled exchange is compared. See ``abortRequest()``.
    private var clientGone = false

    // MARK: Mirroring of the current request

    private var exchange: PendingExchange?
    private var candidateStarted = false
    private var mirrorBudget = MirrorBodyBudget(maxBytes: 0)
    private var mirrorBody = ByteBuffer()
    private var legacyResponseHead: HTTPResponseHead?
    private var legacyBody = ByteBuffer()
    private var legacyBodyLength = 0

    init(loop: LoopContext) {
        self.loop = loop
        self.shared = loop.shared
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.clientAddress = context.channel.remoteAddress?.ipAddress
    }

    // MARK: Client → legacy

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a refusal nothing more from this client is forwarded.
        if self.refusedConnection { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.requestHead(head)
        case .body(let buffer):
            self.requestBodyPart(buffer)
        case .end(let trailers):
            self.requestEnd(trailers)
        }
    }

    private func requestHead(_ head: HTTPRequestHead) {
        // The head is complete: its deadline (listener.header_timeout) no longer applies.
        self.context.triggerUserOutboundEvent(HeaderTimeoutHandler.Event.headReceived, promise: nil)
        if head.uri.contains("\u{FFFD}") {
            // The decoder replaced bytes that are not UTF-8; forwarding the altered target would send legacy a
            // request the client never made.
            self.refuse(.invalidRequestLine)
            return
        }
        var head = head
        let (target, authority) = RequestTarget.originForm(head.uri)
        if let authority {
            head.uri = target
            if self.shared.configuration.preserveHost { head.headers.replaceOrAdd(name: "Host", value: String(authority)) }
        }
        self.generation &+= 1
        self.inRequest = true
        self.start = .now()
        self.clientHead = head
        self.requestEnded = false
        self.requestBodyBytes = 0
        self.responsePhase = .waiting
        self.retried = false
        self.upstreamUnwritable = false
        self.candidateStarted = false
        self.closeAfterResponse = false
        let upgradeToken = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        let asksUpgrade = upgradeToken && head.headers.contains(name: "upgrade")
        self.parserStopsAfterRequest = asksUpgrade || head.method == .CONNECT
        self.upgradeRequested = asksUpgrade && head.method != .CONNECT && head.version == .http1_1

        let configuration = self.shared.configuration
        let mirror = self.shared.mirror
        let path: Substring = head.uri.firstIndex(of: "?").map { head.uri[..<$0] } ?? head.uri[...]
        let method = head.method.rawValue
        let routingPath = RequestTarget.withoutDotSegments(path).map { Substring($0) } ?? path
        let match = mirror.routes.match(method: method, path: routingPath)
        let routeMetrics = self.loop.metrics(forRoute: match.name)
        self.routeMetrics = routeMetrics

        let sentID = head.headers.first(name: configuration.requestIDHeader)
        self.requestID = sentID ?? self.loop.requestIDs.next()

        var headers = head.headers
        let chunked = HopByHopHeaders.isChunked(headers)
        HopByHopHeaders.strip(&headers)
        // The shadow header is the proxy's word to the candidate (`shadow`) and to legacy (`baseline`, `recheck`,
        // `verify` from the probes): a client's copy would let it pass as the proxy, so it never goes anywhere.
        headers.remove(name: mirror.shadowHeaderName)
        // At the edge, a client's forwarded headers are not kept either: every request the proxy makes from this
        // one (legacy, the candidate, probes re-sending it) carries the proxy's values only.
        if !configuration.trustForwardedHeaders { ForwardedHeaders.removeClientValues(&headers) }
        let endToEnd = headers
        ForwardedHeaders.rewrite(
            &headers,
            upstreamHost: configuration.legacy.hostHeader,
            preserveHost: configuration.preserveHost,
            clientAddress: self.clientAddress,
            proto: self.shared.tls.forwardedProto,
            trustClientHeaders: configuration.trustForwardedHeaders,
            requestIDHeader: configuration.requestIDHeader,
            requestID: self.requestID,
            requestIDWasSent: sentID != nil
        )
        if self.upgradeRequested {
            // Hop-by-hop, but the whole point of this request: legacy decides whether to switch.
            for value in head.headers["upgrade"] { headers.add(name: "Upgrade", value: value) }
            headers.add(name: "Connection", value: "upgrade")
        }
        if chunked && !headers.contains(name: "content-length") {
            // Transfer-Encoding is hop-by-hop, but the next hop needs framing: chunk again.
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        self.upstreamHead = HTTPRequestHead(
            version: .http1_1,
            method: head.method,
            uri: configuration.legacy.target(for: head.uri),
            headers: headers
        )

        let eligibility = MirrorEligibility.decide(
            method: head.method,
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
                sink: self.shared.sink,
                metrics: self.shared.metrics,
                requestID: self.requestID,
                route: routeMetrics.route,
                request: RequestSnapshot(method: head.method, uri: head.uri, version: head.version, headers: endToEnd)
            )
            self.mirrorBudget = MirrorBodyBudget(maxBytes: mirror.maxBodyBytes)
            self.mirrorBody = ByteBuffer()
            self.legacyResponseHead = nil
            self.legacyBody = ByteBuffer()
            self.legacyBodyLength = 0
        case .skip(let reason):
            self.exchange = nil
            self.shared.metrics.skip(reason)
        }

        self.shared.metrics.legacyInFlight.increment()
        self.acquireLegacy(fresh: false)
    }

    private func acquireLegacy(fresh: Bool) {
        self.connecting = true
        let generation = self.generation
        let callback: (Result<UpstreamConnection, UpstreamError>) -> Void = { [self] result in
            guard generation == self.generation, self.inRequest else {
                // The request was abandoned while connecting; the connection is still clean.
                if case .success(let connection) = result { connection.release() }
                return
            }
            self.connecting = false
            switch result {
            case .success(let connection):
                self.legacyConnected(connection)
            case .failure(let error):
                self.legacyFailed(error, responseStarted: false)
            }
        }
        if fresh {
            self.loop.legacyPool.connect(callback)
        } else {
            self.loop.legacyPool.acquire(callback)
        }
    }

    private func legacyConnected(_ connection: UpstreamConnection) {
        self.upstream = connection
        self.upstreamWasReused = connection.reused
        connection.begin(receiver: self)
        let handler = connection.handler
        handler.write(.head(self.upstreamHead))
        for part in self.pendingParts { handler.write(part) }
        self.pendingParts.removeAll(keepingCapacity: true)
        handler.flush()
        self.needsUpstreamFlush = false
        self.upstreamUnwritable = !handler.isWritable
        self.resumeClientReadsIfPossible()
    }

    private func requestBodyPart(_ buffer: ByteBuffer) {
        guard self.inRequest else { return }
        self.requestBodyBytes += buffer.readableBytes
        if self.exchange != nil, !self.candidateStarted {
            if self.mirrorBudget.admit(buffer.readableBytes) {
                var copy = buffer
                self.mirrorBody.writeBuffer(&copy)
            } else if self.mirrorBody.capacity > 0 {
                // Over the cap: drop the copy now so memory stays bounded; recorded as body_too_large at the end.
                self.mirrorBody = ByteBuffer()
            }
        }
        guard self.responsePhase != .done else { return }
        let part = HTTPClientRequestPart.body(.byteBuffer(buffer))
        if let upstream = self.upstream {
            upstream.handler.write(part)
            self.needsUpstreamFlush = true
            if !upstream.handler.isWritable { self.upstreamUnwritable = true }
        } else {
            self.pendingParts.append(part)
        }
    }

    private func requestEnd(_ trailers: HTTPHeaders?) {
        guard self.inRequest else { return }
        self.requestEnded = true
        if self.responsePhase != .done {
            let part = HTTPClientRequestPart.end(trailers)
            if let upstream = self.upstream {
                upstream.handler.write(part)
                upstream.handler.flush()
                self.needsUpstreamFlush = false
            } else {
                self.pendingParts.append(part)
            }
        }
        self.startCandidate()
    }

    /// Mirrors the request once its body is complete, within the body cap and the in-flight bound.
    private func startCandidate() {
        guard let exchange = self.exchange, !self.candidateStarted else { return }
        self.candidateStarted = true
        exchange.request.body = self.mirrorBudget.fits ? self.mirrorBody : ByteBuffer()
        exchange.request.bodyLength = self.requestBodyBytes
        if exchange.skipReason != nil {
            // Legacy already failed: nothing to compare against, so the candidate is not bothered.
            exchange.candidateCompleted(.skipped(.legacyError))
            return
        }
        guard self.mirrorBudget.fits else {
            exchange.candidateCompleted(.skipped(.bodyTooLarge))
            return
        }
        guard let pool = self.loop.candidatePool, self.shared.limiter.tryAcquire() else {
            exchange.candidateCompleted(.skipped(.maxInFlight))
            return
        }
        let mirror = self.shared.mirror
        var headers = exchange.request.headers
        let clientHost = headers.first(name: "host")
        if !self.shared.configuration.preserveHost || clientHost == nil {
            headers.replaceOrAdd(name: "Host", value: pool.target.hostHeader)
        }
        ForwardedHeaders.setForwarded(
            &headers, clientHost: clientHost, clientAddress: self.clientAddress, proto: self.shared.tls.forwardedProto,
            trustClientHeaders: self.shared.configuration.trustForwardedHeaders
        )
        headers.replaceOrAdd(name: self.shared.configuration.requestIDHeader, value: self.requestID)
        headers.replaceOrAdd(name: mirror.shadowHeaderName, value: mirror.shadowHeaderValue)
        // The whole body is in memory: frame it with its length.
        headers.remove(name: "content-length")
        if self.requestBodyBytes > 0 || HTTPMethod.hasBody(self.clientHead.method) {
            headers.add(name: "Content-Length", value: String(self.requestBodyBytes))
        }
        let head = HTTPRequestHead(
            version: .http1_1,
            method: self.clientHead.method,
            uri: pool.target.target(for: self.clientHead.uri),
            headers: headers
        )
        let call = CandidateCall(
            loop: self.loop,
            exchange: exchange,
            routeMetrics: self.routeMetrics!,
            head: head,
            body: exchange.request.body
        )
        call.start(pool: pool)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsUpstreamFlush, let upstream = self.upstream {
            self.needsUpstreamFlush = false
            upstream.handler.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if self.connecting || self.upstreamUnwritable {
            self.pendingRead = true
        } else {
            context.read()
        }
    }

    private func resumeClientReadsIfPossible() {
        guard self.pendingRead, !self.connecting, !self.upstreamUnwritable else { return }
        self.pendingRead = false
        self.context.read()
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        self.upstreamUnwritable = !isWritable
        if isWritable { self.resumeClientReadsIfPossible() }
    }

    // MARK: Legacy → client

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        var headers = head.headers
        HopByHopHeaders.strip(&headers)
        let version: HTTPVersion = self.clientHead.version.minor == 0 ? .http1_0 : .http1_1
        if head.status == .switchingProtocols {
            // Forwarded only to a client that asked to upgrade; the tunnel starts at the response's end
            // (``upstreamSwitchedProtocols(_:)``).
            guard self.upgradeRequested else { return }
            for value in head.headers["upgrade"] { headers.add(name: "Upgrade", value: value) }
            headers.add(name: "Connection", value: "Upgrade")
            self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
            return
        }
        if head.status.code >= 100 && head.status.code < 200 {
            // An informational answer (e.g. 100 Continue) the client may be waiting for; HTTP/1.0 has none.
            if version.minor > 0 {
                self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
            }
            return
        }
        self.responsePhase = .streaming
        // HTTP/1.0 has no chunked encoding: a body without Content-Length can only be delimited by closing, so a
        // 1.0 client that asked for keep-alive gets it only when the length is known (or there is no body).
        self.closeAfterResponse =
            self.parserStopsAfterRequest
            || (version.minor == 0 && self.clientHead.isKeepAlive && !headers.contains(name: "content-length")
                && Self.mayHaveBody(status: head.status, method: self.clientHead.method))
        if !self.clientHead.isKeepAlive {
            if version.minor > 0 { headers.add(name: "connection", value: "close") }
        } else if self.closeAfterResponse {
            headers.add(name: "connection", value: "close")
        } else if version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        self.routeMetrics?.countRequest(status: head.status.code)
        if self.exchange != nil {
            var kept = head.headers
            HopByHopHeaders.strip(&kept)
            self.legacyResponseHead = HTTPResponseHead(version: head.version, status: head.status, headers: kept)
        }
        self.context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: head.status, headers: headers))), promise: nil)
        self.needsClientFlush = true
    }

    func upstreamResponseBodyPart(_ buffer: ByteBuffer) {
        if self.exchange != nil {
            self.legacyBodyLength += buffer.readableBytes
            let room = self.shared.mirror.maxResponseBodyBytes - self.legacyBody.readableBytes
            if room > 0 {
                let slice = buffer.readableBytes > room ? buffer.getSlice(at: buffer.readerIndex, length: room)! : buffer
                self.legacyBody.writeImmutableBuffer(slice)
            }
        }
        if self.clientGone {
            if self.legacyBodyLength > self.shared.mirror.maxResponseBodyBytes {
                // Past the comparison cap the exchange could not be compared anyway: stop reading for nobody.
                self.giveUpLegacy(.responseTooLarge)
            }
            return
        }
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        self.needsClientFlush = true
        if !self.context.channel.isWritable {
            // Pause first: the flush may drain the socket and report writability synchronously, which
            // resumes reading at once.
            self.upstream?.handler.setReadPaused(true)
            self.needsClientFlush = false
            self.context.flush()
        }
    }

    func upstreamReadComplete() {
        if self.needsClientFlush, !self.clientGone {
            self.needsClientFlush = false
            self.context.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.upstream?.handler.setReadPaused(false)
        }
        context.fireChannelWritabilityChanged()
    }

    func upstreamResponseEnd() {
        self.upstream = nil
        let elapsed = (NIODeadline.now() - self.start).nanoseconds
        self.shared.metrics.legacyInFlight.decrement()
        self.routeMetrics?.legacyLatency.recordNanoseconds(elapsed)
        if let exchange = self.exchange, let head = self.legacyResponseHead {
            if self.legacyBodyLength > self.shared.mirror.maxResponseBodyBytes {
                exchange.markSkipped(.responseTooLarge)
            }
            exchange.legacyCompleted(
                ResponseSnapshot(
                    status: head.status,
                    version: head.version,
                    headers: head.headers,
                    body: self.legacyBody,
                    bodyLength: self.legacyBodyLength
                ),
                latency: .nanoseconds(elapsed)
            )
        }
        self.finishResponse(trailers: nil)
    }

    /// Ends the response to the client and frees the connection for its next request. State is reset before
    /// the end is written, because writing it may deliver the next pipelined request to this handler at once.
    private func finishResponse(trailers: HTTPHeaders?) {
        if self.clientGone {
            // Legacy's answer was read for the comparison only; there is no client to write it to.
            self.responsePhase = .done
            self.resetRequest()
            return
        }
        let close = !self.clientHead.isKeepAlive || !self.requestEnded || self.closeAfterResponse
        let exchange = self.exchange
        let requestEnded = self.requestEnded
        self.responsePhase = .done
        if requestEnded {
            self.resetRequest()
        }
        self.needsClientFlush = false
        if !close {
            // Before the end is written: writing it may hand this handler the next pipelined head at once.
            self.context.triggerUserOutboundEvent(HeaderTimeoutHandler.Event.responseEnded, promise: nil)
        }
        if close {
            let promise = self.context.eventLoop.makePromise(of: Void.self)
            self.context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: promise)
            let context = self.context!
            promise.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            self.context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: nil)
        }
        // Legacy answered before the request body ended: the candidate gets no (partial) copy.
        if !requestEnded, let exchange, !self.candidateStarted {
            self.candidateStarted = true
            exchange.request.bodyLength = self.requestBodyBytes
            exchange.candidateCompleted(.skipped(.bodyTooLarge))
        }
    }

    private func resetRequest() {
        self.inRequest = false
        self.upstream = nil
        self.exchange = nil
        self.routeMetrics = nil
        self.pendingParts.removeAll(keepingCapacity: true)
        self.mirrorBody = ByteBuffer()
        self.legacyBody = ByteBuffer()
        self.legacyResponseHead = nil
        self.connecting = false
        self.upstreamUnwritable = false
    }

    func upstreamSwitchedProtocols(_ connection: UpstreamConnection) {
        guard self.inRequest, self.upgradeRequested, self.context.channel.isActive else {
            connection.close()
            // A 101 nobody asked for: legacy's answer is unusable.
            if self.inRequest, !self.upgradeRequested { self.legacyFailed(.invalidResponse, responseStarted: false) }
            return
        }
        self.upstream = nil
        let elapsed = (NIODeadline.now() - self.start).nanoseconds
        self.shared.metrics.legacyInFlight.decrement()
        self.routeMetrics?.legacyLatency.recordNanoseconds(elapsed)
        self.routeMetrics?.countRequest(status: HTTPResponseStatus.switchingProtocols.code)
        self.responsePhase = .done
        self.resetRequest()
        do {
            try Tunnel.splice(client: self.context.channel, upstream: connection, idleTimeout: self.shared.configuration.clientIdleTimeout)
        } catch {
            self.shared.logger.info("could not start a tunnel", metadata: ["request.id": "\(self.requestID)", "error": "\(error)"])
            connection.close()
            self.context.close(promise: nil)
        }
    }

    func upstreamFailed(_ error: UpstreamError, responseStarted: Bool) {
        self.upstream = nil
        if !responseStarted, error == .closedEarly, self.upstreamWasReused, !self.retried, self.requestEnded,
            self.requestBodyBytes == 0, MirrorEligibility.isSafe(self.clientHead.method)
        {
            // The pooled connection was closed by legacy while idle; try once on a fresh one.
            self.retried = true
            self.pendingParts.removeAll(keepingCapacity: true)
            self.pendingParts.append(.end(nil))
            self.acquireLegacy(fresh: true)
            return
        }
        self.legacyFailed(error, responseStarted: responseStarted)
    }

    private func legacyFailed(_ error: UpstreamError, responseStarted: Bool) {
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
        if responseStarted || self.clientGone {
            // Part of legacy's response is already with the client: cutting the connection is the only
            // faithful way to tell it the response is incomplete.
            let exchange = self.exchange
            self.resetRequest()
            exchange?.abandon(.legacyError)
            if !self.clientGone { self.context.close(promise: nil) }
            return
        }
        let status: HTTPResponseStatus = error.isTimeout ? .gatewayTimeout : .badGateway
        let text = "\(status.code) \(status.reasonPhrase): legacy upstream \(error.description)\n"
        var body = self.context.channel.allocator.buffer(capacity: text.utf8.count)
        body.writeString(text)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: self.shared.configuration.requestIDHeader, value: self.requestID)
        if !self.clientHead.isKeepAlive || !self.requestEnded {
            headers.add(name: "Connection", value: "close")
        } else if self.clientHead.version.minor == 0 {
            // An HTTP/1.0 client keeps the connection only when told so.
            headers.add(name: "Connection", value: "keep-alive")
        }
        self.routeMetrics?.countRequest(status: status.code)
        self.responsePhase = .streaming
        self.exchange?.legacyCompleted(
            ResponseSnapshot(status: status, headers: headers, body: body),
            latency: .nanoseconds((NIODeadline.now() - self.start).nanoseconds)
        )
        let version: HTTPVersion = self.clientHead.version.minor == 0 ? .http1_0 : .http1_1
        self.context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        self.finishResponse(trailers: nil)
    }

    /// Answers a request the proxy will not forward, counts it, and closes the connection (its body, if any,
    /// is not read).
    private func refuse(_ refusal: ClientRefusal) {
        self.refusedConnection = true
        self.shared.metrics.refused(refusal)
        let status = refusal.status ?? .badRequest
        let text = "\(status.code) \(status.reasonPhrase): \(refusal.explanation)\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        headers.add(name: "Connection", value: "close")
        self.context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(self.context.channel.allocator.buffer(string: text)))), promise: nil)
        let context = self.context!
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in ClientRefusal.lingeringClose(context) }
    }

    // MARK: Client connection events

    func channelInactive(context: ChannelHandlerContext) {
        self.abortRequest()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.abortRequest()
        // A request the parser rejected is answered and closed by `RequestRefusalHandler`.
        if error is HTTPParserError { return }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // An idle keep-alive connection (or a client stalled before sending a head): close it. A connection
            // with a request in progress is governed by the upstream timeouts instead.
            if !self.inRequest { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The client went away mid-request.
    ///
    /// What the client does once legacy is answering changes nothing about the comparison: when the request
    /// was sampled, reached legacy whole and legacy's response head has arrived, the rest of legacy's answer is
    /// still read — kept only up to `mirror.max_response_body_bytes`, bounded in time by legacy's read timeout,
    /// forwarded to nobody — and the exchange is compared as for a patient client (a candidate call in flight
    /// runs on regardless). Otherwise legacy never finished answering: the legacy call is abandoned (its
    /// connection closed, not reused) and there is no comparison (`client_aborted`).
    private func abortRequest() {
        guard self.inRequest, !self.clientGone else { return }
        if self.exchange != nil, self.requestEnded, self.responsePhase == .streaming, let upstream = self.upstream,
            self.legacyBodyLength <= self.shared.mirror.maxResponseBodyBytes
        {
            self.clientGone = true
            self.needsClientFlush = false
            // Reads may be paused for the client's sake (its socket was full); there is no client to wait for.
            upstream.handler.setReadPaused(false)
            return
        }
        self.giveUpLegacy(.clientAborted)
    }

    /// Abandons the legacy call in progress and the exchange with `reason`.
    private func giveUpLegacy(_ reason: SkipReason) {
        let exchange = self.exchange
        if self.responsePhase != .done {
            self.shared.metrics.legacyInFlight.decrement()
        }
        self.upstream?.handler.abandon()
        self.generation &+= 1
        self.resetRequest()
        exchange?.abandon(reason)
    }
}

extension ProxyHandler {
    /// Whether a response with `status` to a request with `method` carries a body (RFC 9110 §6.4.1).
    fileprivate static func mayHaveBody(status: HTTPResponseStatus, method: HTTPMethod) -> Bool {
        if method == .HEAD { return false }
        if status == .noContent || status == .notModified { return false }
        return !(status.code >= 100 && status.code < 200)
    }
}

extension HTTPMethod {
    /// Methods whose requests carry a body by definition, so an empty one is sent as `Content-Length: 0`.
    fileprivate static func hasBody(_ method: HTTPMethod) -> Bool {
        switch method {
        case .POST, .PUT, .PATCH: true
        default: false
        }
    }
}
