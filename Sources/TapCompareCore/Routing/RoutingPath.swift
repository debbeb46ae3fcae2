/// The path that route matching and route policies see: the request's path with percent-escapes of
/// unreserved characters decoded (RFC 3986 §6.2.2.2: `ALPHA`, `DIGIT`, `-`, `.`, `_`, `~`).
///
/// `/api/intern%61l/x` and `/api/internal/x` name the same resource to any server that follows RFC 3986, so
/// they must get the same route and the same policy (a route with `mirror: false` cannot be mirrored by spelling
/// one letter as `%61`). Escapes of every other character (`%2F`, `%25`, `%20`, …) stay as they are: decoding
/// them would change the segments or the meaning. Only matching sees this path: the request target forwarded to
/// legacy and to the candidate stays byte for byte what the client sent.
public enum RoutingPath {
    /// `path` with unreserved percent-escapes decoded (hex digits in either case); `path` itself when it has
    /// none, so the common case allocates nothing. Idempotent: decoding never produces a new `%`.
    public static func normalized(_ path: Substring) -> Substring {
        guard path.utf8.contains(UInt8(ascii: "%")) else { return path }
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let high = Self.hexValue(bytes[i + 1]), let low = Self.hexValue(bytes[i + 2]),
               Self.isUnreserved(high << 4 | low) {
                out.append(high << 4 | low)
                changed = true
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return changed ? Substring(String(decoding: out, as: UTF8.self)) : path
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
