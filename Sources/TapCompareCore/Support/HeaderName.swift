/// Header field names, compared as HTTP compares them: ASCII case-insensitively (RFC 9110 §5.1).
public enum HeaderName {
    /// Whether `a` and `b` are the same field name in any case. Byte by byte, with no lower-cased copy: it runs
    /// for headers of every request and response on the proxy's path.
    @inlinable
    public static func equal(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            if Self.folded(p) != Self.folded(q) { return false }
        }
        return true
    }

    @inlinable
    static func folded(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
