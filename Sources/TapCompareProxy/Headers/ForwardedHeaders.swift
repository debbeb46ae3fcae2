import NIOHTTP1

/// Rewrites a client's end-to-end headers into the ones sent upstream. Pure; unit-tested without sockets.
public enum ForwardedHeaders {
    /// Applies the proxy's rewrites in place:
    /// - `Host` becomes `upstreamHost` unless `preserveHost` (a request without `Host` always gets one);
    /// - `X-Forwarded-For`, `-Proto` and `-Host` are set by ``setForwarded(_:clientHost:clientAddress:proto:trustClientHeaders:)``;
    /// - `requestIDHeader` is set to `requestID` when the client did not send one.
    ///
    /// - Parameters:
    ///   - headers: the client's headers with hop-by-hop headers already removed.
    ///   - clientAddress: the peer's IP address, or `nil` when unknown (e.g. a Unix socket).
    ///   - trustClientHeaders: `forwarded.trust_client_headers`: whether the peer is a trusted proxy whose
    ///     forwarded headers are kept.
    public static func rewrite(
        _ headers: inout HTTPHeaders,
        upstreamHost: String,
        preserveHost: Bool,
        clientAddress: String?,
        proto: String,
        trustClientHeaders: Bool,
        requestIDHeader: String,
        requestID: String,
        requestIDWasSent: Bool
    ) {
        let clientHost = headers.first(name: "host")
        if !preserveHost || clientHost == nil {
            headers.replaceOrAdd(name: "Host", value: upstreamHost)
        }
        Self.setForwarded(&headers, clientHost: clientHost, clientAddress: clientAddress, proto: proto, trustClientHeaders: trustClientHeaders)
        if !requestIDWasSent {
            headers.add(name: requestIDHeader, value: requestID)
        }
    }

    /// Sets `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` for the next hop (legacy or the
    /// candidate).
    ///
    /// - With `trustClientHeaders == false` (the default: the proxy is the edge), whatever the client sent under
    ///   these names, and in `Forwarded` (RFC 7239), is removed: a client cannot claim another address, scheme or
    ///   host. `X-Forwarded-For` becomes the peer's address, `X-Forwarded-Proto` the listener's scheme and
    ///   `X-Forwarded-Host` the client's `Host`.
    /// - With `trustClientHeaders == true` (a trusted proxy in front, which already set them), the peer's address
    ///   is appended to `X-Forwarded-For`; `X-Forwarded-Proto` and `X-Forwarded-Host` keep the first value the
    ///   trusted proxy sent (it saw the client; this proxy only sees the hop from it), or are set as above when
    ///   absent.
    ///
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` always hold one value: they are set, never appended
    /// (`https, http` would tell a backend nothing it can use).
    ///
    /// - Parameters:
    ///   - clientHost: the `Host` the client sent, before any rewrite; `nil` when it sent none.
    ///   - clientAddress: the peer's IP address, or `nil` when unknown.
    ///   - proto: `http` or `https`, the scheme of this proxy's listener.
    public static func setForwarded(
        _ headers: inout HTTPHeaders,
        clientHost: String?,
        clientAddress: String?,
        proto: String,
        trustClientHeaders: Bool
    ) {
        if trustClientHeaders {
            if let clientAddress { Self.append(&headers, name: "X-Forwarded-For", value: clientAddress) }
            Self.setSingle(&headers, name: "X-Forwarded-Proto", value: Self.firstListElement(headers["X-Forwarded-Proto"]) ?? proto)
            if let host = Self.firstListElement(headers["X-Forwarded-Host"]) ?? clientHost {
                Self.setSingle(&headers, name: "X-Forwarded-Host", value: host)
            }
        } else {
            Self.removeClientValues(&headers)
            if let clientAddress { headers.add(name: "X-Forwarded-For", value: clientAddress) }
            Self.setSingle(&headers, name: "X-Forwarded-Proto", value: proto)
            if let clientHost { headers.add(name: "X-Forwarded-Host", value: clientHost) }
        }
    }

    /// Removes what a client sent under the forwarded header names (`X-Forwarded-For`, `-Proto`, `-Host`,
    /// `Forwarded`): with `forwarded.trust_client_headers: false` they are never passed on, not even in the
    /// request the proxy keeps (for the candidate, the ledger, captures and the probes that re-send it to legacy).
    public static func removeClientValues(_ headers: inout HTTPHeaders) {
        for name in ["Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"] where headers.contains(name: name) {
            headers.remove(name: name)
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

    /// Replaces every field called `name` by one with `value`.
    static func setSingle(_ headers: inout HTTPHeaders, name: String, value: String) {
        headers.replaceOrAdd(name: name, value: value)
    }

    /// The first non-empty element of a list header's fields (`https, http` → `https`).
    static func firstListElement(_ values: [String]) -> String? {
        for value in values {
            for element in value.split(separator: ",") {
                let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
                let trimmed = element.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
                if !trimmed.isEmpty { return String(trimmed) }
            }
        }
        return nil
    }
}
