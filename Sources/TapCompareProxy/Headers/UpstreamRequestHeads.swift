import NIOHTTP1
import TapCompareCore
import TapCompareMirroring

/// The request heads the proxy makes from a client's request: the end-to-end headers it keeps, legacy's head and
/// the candidate's. Pure, so the whole rewrite is one place to read; ``ForwardedHeaders`` and
/// ``HopByHopHeaders`` do the pieces.
enum UpstreamRequestHeads {
    /// The most fields a head gains here (`Host`, the three `X-Forwarded-*`, the request id, the shadow header,
    /// framing, `TE`): reserved up front.
    static let addedFields = 8

    /// What the proxy keeps of the client's headers (recorded with the exchange, the start of every upstream head).
    ///
    /// Hop-by-hop headers are removed. The shadow header is the proxy's word to the candidate (`shadow`) and to
    /// legacy (`baseline`, `recheck`, `verify` from the probes): a client's copy would let it pass as the proxy,
    /// so it never goes anywhere. At the edge (`trustForwardedHeaders == false`) a client's forwarded headers
    /// are not kept either: every request the proxy makes from this one (legacy, the candidate, probes re-sending
    /// it) carries the proxy's values only.
    static func endToEnd(_ headers: HTTPHeaders, shadowHeaderName: String, trustForwardedHeaders: Bool) -> HTTPHeaders {
        var headers = headers
        HopByHopHeaders.strip(&headers)
        // Looked for first: removing copies the fields the client's head shares, even when none goes.
        if headers.contains(name: shadowHeaderName) { headers.remove(name: shadowHeaderName) }
        if !trustForwardedHeaders { ForwardedHeaders.removeClientValues(&headers) }
        return headers
    }

    /// Legacy's head for the client's `head` (its target already in origin form).
    /// - Parameters:
    ///   - endToEnd: ``endToEnd(_:shadowHeaderName:trustForwardedHeaders:)`` of `head`'s headers.
    ///   - upgradeRequested: the client asked to switch protocols: `Upgrade` is passed on, since legacy decides.
    ///   - framing: ``RequestBodyFraming`` of `head`: `chunked` adds `transfer-encoding: chunked` (a client's
    ///     `Transfer-Encoding` is hop-by-hop and removed); `pending` adds nothing yet (``frameHeldHead(_:as:)``).
    static func legacy(
        for head: HTTPRequestHead,
        framing: RequestBodyFraming,
        endToEnd: HTTPHeaders,
        configuration: ProxyConfiguration,
        clientAddress: String?,
        proto: String,
        requestID: String,
        requestIDWasSent: Bool,
        upgradeRequested: Bool
    ) -> HTTPRequestHead {
        var headers = endToEnd
        // One copy with room for what the rewrite adds, instead of a copy and then growth at each addition.
        headers.reserveCapacity(headers.count + Self.addedFields)
        ForwardedHeaders.rewrite(
            &headers,
            upstreamHost: configuration.legacy.hostHeader,
            preserveHost: configuration.preserveHost,
            clientAddress: clientAddress,
            proto: proto,
            trustClientHeaders: configuration.trustForwardedHeaders,
            requestIDHeader: configuration.requestIDHeader,
            requestID: requestID,
            requestIDWasSent: requestIDWasSent
        )
        if upgradeRequested {
            // Hop-by-hop, but the whole point of this request: legacy decides whether to switch.
            for value in head.headers["upgrade"] { headers.add(name: "Upgrade", value: value) }
            headers.add(name: "Connection", value: "upgrade")
        }
        if framing == .chunked && !headers.contains(name: "content-length") {
            // Transfer-Encoding is hop-by-hop, but the next hop needs framing: chunk again.
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        if configuration.legacy.httpVersion == .http2 { Self.acceptTrailers(&headers) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: configuration.legacy.target(for: head.uri), headers: headers)
    }

    /// Frames legacy's held head (``RequestBodyFraming/pending``) once the request's first content or its end
    /// tells: chunked for a body, nothing added otherwise.
    static func frameHeldHead(_ head: inout HTTPRequestHead, as framing: RequestBodyFraming) {
        guard framing == .chunked, !head.headers.contains(name: "content-length") else { return }
        head.headers.add(name: "transfer-encoding", value: "chunked")
    }

    /// The candidate's head for a sampled request whose whole body (`bodyBytes`) is in memory.
    static func candidate(
        for request: RequestSnapshot,
        bodyBytes: Int,
        target: UpstreamURL,
        configuration: ProxyConfiguration,
        mirror: MirrorConfiguration,
        clientAddress: String?,
        proto: String,
        requestID: String
    ) -> HTTPRequestHead {
        var headers = request.headers
        headers.reserveCapacity(headers.count + Self.addedFields)
        let clientHost = headers.first(name: "host")
        if !configuration.preserveHost || clientHost == nil {
            headers.replaceOrAdd(name: "Host", value: target.hostHeader)
        }
        ForwardedHeaders.setForwarded(
            &headers, clientHost: clientHost, clientAddress: clientAddress, proto: proto,
            trustClientHeaders: configuration.trustForwardedHeaders
        )
        headers.replaceOrAdd(name: configuration.requestIDHeader, value: requestID)
        headers.replaceOrAdd(name: mirror.shadowHeaderName, value: mirror.shadowHeaderValue)
        // The whole body is in memory: frame it with its length.
        headers.remove(name: "content-length")
        if bodyBytes > 0 || HTTPMethod.hasBody(request.method) {
            headers.add(name: "Content-Length", value: String(bodyBytes))
        }
        if target.httpVersion == .http2 { Self.acceptTrailers(&headers) }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: target.target(for: request.uri), headers: headers)
    }
}

extension UpstreamRequestHeads {
    /// `TE: trailers` on a request to an HTTP/2 upstream (the one `TE` HTTP/2 allows): the proxy reads trailers from
    /// every upstream, and gRPC servers refuse calls without it.
    fileprivate static func acceptTrailers(_ headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: "te", value: "trailers")
    }
}

extension HTTPMethod {
    /// Methods whose requests carry a body by definition, so an empty one is sent as `Content-Length: 0`.
    static func hasBody(_ method: HTTPMethod) -> Bool {
        switch method {
        case .POST, .PUT, .PATCH: true
        default: false
        }
    }
}
