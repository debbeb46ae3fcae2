import NIOHTTP1
import TapCompareCore

/// Removes hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message, so a proxy
/// never forwards them.
///
/// Removed: `Connection` and every header it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
/// `Transfer-Encoding`, `Upgrade`, `Trailer`, `Proxy-Authenticate` and `Proxy-Authorization` (both are meant
/// for this proxy, and a proxy that requires no authentication must not leak a client's proxy credentials
/// to a backend). Framing is re-created by the encoder on the next hop.
public enum HopByHopHeaders {
    /// Lower-cased names removed from every message (``isFixed(_:)`` matches exactly these, a test checks).
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

    /// Whether `name` is one of ``fixed``, in any case. Decided by its length first (most names have none of
    /// theirs), then byte by byte against the one or two names of that length: this runs for every header of
    /// every response, twice per mirrored request.
    @usableFromInline
    static func isFixed(_ name: some StringProtocol) -> Bool {
        let utf8 = name.utf8
        switch utf8.count {
        case 2: return Self.equalsIgnoringASCIICase(utf8, "te")
        case 7: return Self.equalsIgnoringASCIICase(utf8, "upgrade") || Self.equalsIgnoringASCIICase(utf8, "trailer")
        case 10: return Self.equalsIgnoringASCIICase(utf8, "connection") || Self.equalsIgnoringASCIICase(utf8, "keep-alive")
        case 16: return Self.equalsIgnoringASCIICase(utf8, "proxy-connection")
        case 17: return Self.equalsIgnoringASCIICase(utf8, "transfer-encoding")
        case 18: return Self.equalsIgnoringASCIICase(utf8, "proxy-authenticate")
        case 19: return Self.equalsIgnoringASCIICase(utf8, "proxy-authorization")
        default: return false
        }
    }

    /// Compares `name` with an already lower-cased ASCII `lowercased`.
    @usableFromInline
    static func equalsIgnoringASCIICase(_ name: some StringProtocol, _ lowercased: StaticString) -> Bool {
        Self.equalsIgnoringASCIICase(name.utf8, lowercased)
    }

    @usableFromInline
    static func equalsIgnoringASCIICase<Bytes: Collection<UInt8>>(_ name: Bytes, _ lowercased: StaticString) -> Bool {
        guard name.count == lowercased.utf8CodeUnitCount else { return false }
        let start = lowercased.utf8Start
        var i = 0
        for a in name {
            let folded = (a >= 0x41 && a <= 0x5A) ? a | 0x20 : a
            if folded != start[i] { return false }
            i &+= 1
        }
        return true
    }

    /// Removes the hop-by-hop headers in place.
    ///
    /// One pass that keeps the rest in order, not a removal per name: every response carries `Connection`
    /// (`keep-alive`), so this runs twice per mirrored request, and ten `remove(name:)` scans with the list
    /// `canonicalForm` builds cost 2% of the proxy's time at sample rate 1.0 (`perf`, issue 16).
    public static func strip(_ headers: inout HTTPHeaders) {
        guard Self.containsAny(headers) else { return }
        // Headers named by Connection are hop-by-hop for this message only. The usual values (`keep-alive`,
        // `close`) name no other header, so nothing is collected for them.
        var named: [Substring] = []
        for (name, value) in headers where name.utf8.count == 10 && Self.equalsIgnoringASCIICase(name, "connection") {
            var rest = value[...]
            while !rest.isEmpty {
                let comma = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
                let token = Self.headerName(in: rest[..<comma])
                rest = comma == rest.endIndex ? rest[rest.endIndex...] : rest[rest.utf8.index(after: comma)...]
                if let token, !Self.isFixed(token) { named.append(token) }
            }
        }
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        for (name, value) in headers where !Self.isFixed(name) && !named.contains(where: { HeaderName.equal(name, $0) }) {
            kept.append((name, value))
        }
        headers = HTTPHeaders(kept)
    }

    /// The header name one element of a `Connection` list holds, without the spaces and tabs around it; `nil`
    /// when empty or not ASCII (no header name is, so it names nothing to remove).
    static func headerName(in element: Substring) -> Substring? {
        let utf8 = element.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }),
            let first = utf8.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
            let last = utf8.lastIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
        else { return nil }
        return element[first...last]
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
