/// Names a request that matches no configured route with a derived template, so grouping works with no
/// configuration: numeric, UUID and long hexadecimal path segments become `{id}`.
///
/// `GET /api/v1/comments/8812/replies` → `GET /api/v1/comments/{id}/replies`.
public enum RouteNamer {
    /// Derives the route name for a method and a path (query string already removed).
    public static func derive(method: String, path: Substring) -> String {
        var name = method
        name.reserveCapacity(method.utf8.count + path.utf8.count + 4)
        name += " "
        var any = false
        // Segment by segment without building their list: this names every request no route matches.
        var rest = path
        while let start = rest.utf8.firstIndex(where: { $0 != UInt8(ascii: "/") }) {
            let end = rest.utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            let segment = rest[start..<end]
            rest = rest[end...]
            any = true
            name += "/"
            if Self.isIdentifier(segment) {
                name += "{id}"
            } else {
                name += segment
            }
        }
        if !any { name += "/" }
        return name
    }

    /// Whether a path segment looks like an identifier: all digits, a UUID, or 16+ hex digits.
    public static func isIdentifier(_ segment: Substring) -> Bool {
        let utf8 = segment.utf8
        guard !utf8.isEmpty else { return false }
        if utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return true }
        if utf8.count == 36 {
            var ok = true
            for (i, c) in utf8.enumerated() {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    if c != UInt8(ascii: "-") { ok = false; break }
                } else if !Self.isHex(c) {
                    ok = false
                    break
                }
            }
            if ok { return true }
        }
        return utf8.count >= 16 && utf8.allSatisfy(Self.isHex)
    }

    @inline(__always)
    static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }
}
