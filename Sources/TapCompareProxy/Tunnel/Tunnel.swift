import CoreMetrics
import NIOCore
import NIOHTTP1

/// Turns a client connection and the legacy connection that answered `101 Switching Protocols` into a byte
/// tunnel: the HTTP handlers leave both pipelines and a ``TunnelHandler`` pair takes their place.
enum Tunnel {
    /// How long each side of a tunnel may take none of the bytes still queued for it once the other side's connection
    /// closed, before it is cut off (``TunnelEndClose``). Each side keeps the limit it has as a connection of its kind,
    /// and a cut-off is counted as that limit's expiry: the client's is `listener.send_timeout`
    /// (`tapcompare_client_closed_total{reason="send_timeout"}`), as for a client that takes none of its response;
    /// legacy's is `upstream.write_timeout` (`tapcompare_upstream_errors_total{side="legacy",reason="write_timeout"}`),
    /// as for legacy taking none of a request.
    struct DrainTimeouts {
        /// ``ProxyConfiguration/sendTimeout`` (default 60 s).
        var client: TimeAmount
        /// ``ProxyConfiguration/writeTimeout`` (default 30 s).
        var legacy: TimeAmount

        init(client: TimeAmount, legacy: TimeAmount) {
            self.client = client
            self.legacy = legacy
        }

        init(_ configuration: ProxyConfiguration) {
            self.init(client: configuration.sendTimeout, legacy: configuration.writeTimeout)
        }
    }

    /// Splices `client` (the client connection's pipeline, HTTP handlers still in place) to `upstream`.
    ///
    /// Legacy's bytes that followed its 101 in the same read are kept: the upstream decoder forwards them to the
    /// tunnel when it leaves (`RemoveAfterUpgradeStrategy.forwardBytes`). The client must not send bytes before
    /// it has the 101 (RFC 6455 §4.1; an upgrading client waits for it), so its decoder has none to hand over.
    /// - Parameters:
    ///   - idleTimeout: the tunnel closes after this long with no bytes in either direction (an end already draining
    ///     is left to its drain timeout, see ``TunnelEndClose/idleTimedOut()``).
    ///   - drain: how long each side may take none of the bytes still queued for it once the other side closed.
    ///   - metrics: where a side cut off during such a drain is counted, and bytes the tunnel dropped
    ///     (``TunnelEndCounts``).
    ///   - clientInputClosed: the client already shut its sending side (it half-closed while legacy's 101 was on its
    ///     way): legacy's sending side toward it is shut at once, as ``TunnelHandler`` does for a later half-close.
    ///
    /// From here on legacy's connection allows remote half-closure (`ChannelOptions.allowRemoteHalfClosure`, which
    /// NIO reads at each end of input, so setting it on the active channel counts for the next one): legacy shutting
    /// its sending side reaches ``TunnelHandler`` as `ChannelEvent.inputClosed` instead of closing the tunnel. Until
    /// the 101, legacy's FIN closes the connection as on every upstream connection (the call fails or a close-delimited
    /// body ends). No FIN can slip in between: NIO sees an end of input only on a read that returns 0, after the
    /// bytes read before it were handed to the pipeline, and the 101's bytes reach this call synchronously.
    /// A FIN read in the same pass as the 101 (legacy sent its 101, its first bytes and its FIN together) arrives while
    /// the HTTP decoder is still leaving: ``InputClosedHold`` keeps it until the decoder forwarded those bytes.
    /// Over TLS to legacy, a `close_notify` is such an end of input (NIOSSL reads the same option); a bare FIN is an
    /// unclean shutdown, an error on which the tunnel closes, as before.
    static func splice(
        client: any Channel, upstream: UpstreamConnection, idleTimeout: TimeAmount, drain: DrainTimeouts, metrics: ProxyMetrics,
        clientInputClosed: Bool = false
    ) throws {
        let clientEnd = TunnelHandler(
            drainTimeout: drain.client,
            counts: TunnelEndCounts(
                cutOff: { metrics.sendTimeouts.increment() },
                droppedQueued: { bytes, reason in metrics.tunnelDropped(bytes, toward: .client, reason: reason) },
                droppedAfterOtherSideClosed: { bytes in metrics.tunnelDropped(bytes, toward: .legacy, reason: .otherSideClosed) }
            ),
            inputClosed: clientInputClosed
        )
        let legacyEnd = TunnelHandler(
            drainTimeout: drain.legacy,
            counts: TunnelEndCounts(
                cutOff: { metrics.upstreamError(.writeTimeout, side: .legacy) },
                droppedQueued: { bytes, reason in metrics.tunnelDropped(bytes, toward: .legacy, reason: reason) },
                droppedAfterOtherSideClosed: { bytes in metrics.tunnelDropped(bytes, toward: .client, reason: .otherSideClosed) }
            ),
            onClose: { [upstream] in upstream.channelClosed() }
        )
        TunnelHandler.pair(clientEnd, legacyEnd)

        let clientPipeline = client.pipeline.syncOperations
        // The read-only idle timer of an HTTP connection is replaced by one for both directions: a server that
        // only pushes (or a client that only sends) keeps its tunnel.
        Self.remove(IdleStateHandler.self, from: clientPipeline)
        try clientPipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
        try clientPipeline.addHandler(clientEnd)
        Self.remove(HeaderTimeoutHandler.self, from: clientPipeline)
        Self.remove(HTTPResponseEncoder.self, from: clientPipeline)
        Self.remove(ByteToMessageHandler<HTTPRequestDecoder>.self, from: clientPipeline)
        Self.remove(RequestRefusalHandler.self, from: clientPipeline)
        Self.remove(ProxyHandler.self, from: clientPipeline)

        let legacyPipeline = upstream.channel.pipeline.syncOperations
        try upstream.channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
        try legacyPipeline.addHandler(legacyEnd)
        Self.remove(UpstreamConnectionHandler.self, from: legacyPipeline)
        // Last: its left-over bytes go to the handler after it, the tunnel's legacy end. They are forwarded when
        // the codec actually leaves (after the part it is delivering), outside any read burst, so flush then; an end
        // of legacy's input read meanwhile is held in front of the codec and follows them.
        let hold = InputClosedHold()
        if let codec = try? legacyPipeline.context(handlerType: UpstreamHTTP1Codec.self) {
            try legacyPipeline.addHandler(hold, position: .before(codec.handler))
        }
        let decoderRemoved = upstream.channel.eventLoop.makePromise(of: Void.self)
        Self.remove(UpstreamHTTP1Codec.self, from: legacyPipeline, promise: decoderRemoved)
        decoderRemoved.futureResult.assumeIsolated().whenComplete { _ in
            client.flush()
            hold.release()
        }

        // Either socket closing ends the other, tied to the channels rather than to the handler pair: the
        // handlers pass a close on too, but once on a loaded CI run an idle client was closed and legacy's
        // connection stayed open, and a tunnel must not outlive either of its sockets in any teardown order. The
        // other end drains first (what it read from the closed side still reaches its peer), bounded by its drain
        // timeout, or closes at once if it already left its pipeline. Both channels are on this loop.
        let legacyChannel = upstream.channel
        client.closeFuture.assumeIsolated().whenComplete { _ in legacyEnd.partnerChannelClosed(legacyChannel) }
        legacyChannel.closeFuture.assumeIsolated().whenComplete { _ in clientEnd.partnerChannelClosed(client) }
        if clientInputClosed { legacyChannel.close(mode: .output, promise: nil) }
    }

    /// Removes the first handler of `type`, when present.
    private static func remove<H: RemovableChannelHandler>(
        _ type: H.Type, from pipeline: ChannelPipeline.SynchronousOperations, promise: EventLoopPromise<Void>? = nil
    ) {
        guard let context = try? pipeline.context(handlerType: type) else {
            promise?.succeed()
            return
        }
        pipeline.removeHandler(context: context, promise: promise)
    }
}
