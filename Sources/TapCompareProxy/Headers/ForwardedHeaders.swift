import NIOHTTP1

/// Rewrites a client's end-to-end headers into the ones sent upstream. Pure; unit-tested without sockets.
public enum ForwardedHeaders {
    /// Applies the proxy's rewrites in place:
    /// - `Host` becomes `upstreamHost` unless `preserveHost` (a request without `Host` always gets one);
    /// - the client's address is appended to `X-Forwarded-For` and `proto` to `X-Forwarded-Proto`, keeping
    ///   what earlier proxies wrote;
    /// - `requestIDHeader` is set to `requestID` when the client did not send one.
    ///
    /// - Parameters:
    ///   - headers: the client's headers with hop-by-hop headers already removed.
    ///   - clientAddress: the peer's IP address, or `nil` when unknown (e.g. a Unix socket).
    public static func rewrite(
        _ headers: inout HTTPHeaders,
        upstreamHost: String,
        preserveHost: Bool,
        clientAddress: String?,
        proto: String,
        requestIDHeader: String,
        requestID: String,
        requestIDWasSent: Bool
    ) {
        if !preserveHost || !headers.contains(name: "host") {
            headers.replaceOrAdd(name: "Host", value: upstreamHost)
        }
        if let clientAddress {
            Self.append(&headers, name: "X-Forwarded-For", value: clientAddress)
        }
        Self.append(&headers, name: "X-Forwarded-Proto", value: proto)
        if !requestIDWasSent {
            headers.add(name: requestIDHeader, value: requestID)
        }
    }

    /// Appends `value` to a comma-separated list header, merging repeated fields into one.
    static func append(_ headers: inout HTTPHeaders, name: String, value: String) {
        let existing = headers[name]
        if existing.isEmpty {
            headers.add(name: name, value: value)
        } else {
            var joined = existing.joined(separator: ", ")
            joined += ", "
            joined += value
            headers.replaceOrAdd(name: name, value: joined)
        }
    }
}
