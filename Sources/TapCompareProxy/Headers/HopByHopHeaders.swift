import NIOHTTP1

/// Removes hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message, so a proxy
/// never forwards them.
///
/// Removed: `Connection` and every header it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
/// `Transfer-Encoding`, `Upgrade`, `Trailer`, `Proxy-Authenticate` and `Proxy-Authorization` (both are meant
/// for this proxy, and a proxy that requires no authentication must not leak a client's proxy credentials
/// to a backend). Framing is re-created by the encoder on the next hop.
public enum HopByHopHeaders {
    /// Lower-cased names removed from every message.
    public static let fixed: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Whether `headers` holds anything to remove: the common case (none) costs one scan and no copy.
    @inlinable
    public static func containsAny(_ headers: HTTPHeaders) -> Bool {
        for (name, _) in headers where Self.isFixed(name) { return true }
        return false
    }

    @usableFromInline
    static func isFixed(_ name: String) -> Bool {
        // Cheap pre-filter on the first byte before the case-insensitive comparisons; no allocation.
        switch name.utf8.first.map({ $0 | 0x20 }) {
        case UInt8(ascii: "c"), UInt8(ascii: "k"), UInt8(ascii: "p"), UInt8(ascii: "t"), UInt8(ascii: "u"):
            for fixed in Self.fixed where Self.equalsIgnoringASCIICase(name, fixed) { return true }
            return false
        default:
            return false
        }
    }

    /// Compares `name` with an already lower-cased ASCII `lowercased`.
    @usableFromInline
    static func equalsIgnoringASCIICase(_ name: String, _ lowercased: String) -> Bool {
        guard name.utf8.count == lowercased.utf8.count else { return false }
        for (a, b) in zip(name.utf8, lowercased.utf8) {
            let folded = (a >= 0x41 && a <= 0x5A) ? a | 0x20 : a
            if folded != b { return false }
        }
        return true
    }

    /// Removes the hop-by-hop headers in place.
    public static func strip(_ headers: inout HTTPHeaders) {
        guard Self.containsAny(headers) else { return }
        // Headers named by Connection are hop-by-hop for this message only.
        var named: [String] = []
        for value in headers[canonicalForm: "connection"] {
            // `canonicalForm` already split the list on commas and trimmed the spaces.
            if !value.isEmpty { named.append(value.lowercased()) }
        }
        for name in Self.fixed { headers.remove(name: name) }
        for name in named { headers.remove(name: name) }
    }

    /// Whether a request asks to switch protocols (`Upgrade`, e.g. WebSocket): never mirrored.
    @inlinable
    public static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT || head.headers.contains(name: "upgrade")
    }

    /// Whether the message body is chunked on the wire (so the next hop must chunk it too).
    @inlinable
    public static func isChunked(_ headers: HTTPHeaders) -> Bool {
        for value in headers[canonicalForm: "transfer-encoding"] where value.lowercased() == "chunked" {
            return true
        }
        return false
    }
}
