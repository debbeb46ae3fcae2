/// What the proxy makes of a client's request target before routing and forwarding it.
///
/// - Absolute-form (`GET http://host/path`, which RFC 9112 §3.2.2 requires servers to accept) becomes origin-form
///   (`/path`): legacy is always the upstream, whatever authority the client named, and route templates and base
///   paths only make sense for a path.
/// - Routing sees the path with dot-segments removed (RFC 3986 §5.2.4, `%2e` counted as a dot), so
///   `/api/public/../internal/x` is governed by the policy of `/api/internal/x`, the resource legacy serves;
///   the route table then decodes escapes of unreserved characters (``TapCompareCore/RoutingPath``), so
///   `/api/intern%61l/x` is governed by that policy too. The target itself is forwarded unchanged: resolving it
///   is legacy's business.
enum RequestTarget {
    /// The origin-form of `uri`, and the authority when it was absolute-form.
    static func originForm(_ uri: String) -> (target: String, authority: Substring?) {
        guard !uri.hasPrefix("/"), let schemeEnd = uri.firstRange(of: "://") else { return (uri, nil) }
        let scheme = uri[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return (uri, nil) }
        let rest = uri[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        return (target, authority.isEmpty ? nil : authority)
    }

    /// `path` with `.` and `..` segments resolved; `nil` when it has none (the common case allocates nothing).
    static func withoutDotSegments(_ path: Substring) -> String? {
        // A dot segment needs a `.` or its escape `%2e`: most paths have neither, and cost one scan, no split.
        guard path.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "%") }) else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.contains(where: { Self.isDot($0) || Self.isDotDot($0) }) else { return nil }
        var output: [Substring] = []
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            if Self.isDot(segment) {
                if isLast { output.append("") }
            } else if Self.isDotDot(segment) {
                // Never above the root: the first element is the empty segment before the leading slash.
                if output.count > 1 { output.removeLast() }
                if isLast { output.append("") }
            } else {
                output.append(segment)
            }
        }
        let joined = output.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    private static func isDot(_ segment: Substring) -> Bool {
        segment == "." || segment.lowercased() == "%2e"
    }

    private static func isDotDot(_ segment: Substring) -> Bool {
        guard segment.count == 2 || segment.count == 4 || segment.count == 6 else { return false }
        switch segment.lowercased() {
        case "..", ".%2e", "%2e.", "%2e%2e": return true
        default: return false
        }
    }
}
