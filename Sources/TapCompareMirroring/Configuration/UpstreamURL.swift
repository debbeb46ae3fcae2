/// An upstream's base URL, split once at start-up so no request parses a URL.
///
/// Only `http` is accepted: TLS to upstreams is not implemented yet, and refusing `https` at start-up is better
/// than silently sending plain text to a TLS port.
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path prefix put before every request target, without a trailing `/`; empty for none.
    public var basePath: String
    /// The value sent in `Host` when the client's is rewritten: `host` or `host:port` for a non-default port.
    public var hostHeader: String

    public var description: String { "http://\(self.hostHeader)\(self.basePath)" }

    /// Parses `http://host[:port][/base/path]`.
    /// - Throws: ``UpstreamURLError`` saying what is wrong.
    public init(parsing text: String) throws(UpstreamURLError) {
        guard text.hasPrefix("http://") else {
            if text.hasPrefix("https://") {
                throw UpstreamURLError(url: text, reason: "https upstreams are not supported yet; use http://")
            }
            throw UpstreamURLError(url: text, reason: "expected http://host[:port][/path]")
        }
        let rest = text.dropFirst("http://".count)
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = ""
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw UpstreamURLError(url: text, reason: "a base URL cannot have a query or fragment")
        }
        let host: Substring
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw UpstreamURLError(url: text, reason: "unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw UpstreamURLError(url: text, reason: "invalid port '\(after.dropFirst())'")
                }
                port = p
            } else if !after.isEmpty {
                throw UpstreamURLError(url: text, reason: "unexpected '\(after)' after the host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw UpstreamURLError(url: text, reason: "invalid port '\(authority[authority.index(after: colon)...])'")
            }
            port = p
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw UpstreamURLError(url: text, reason: "missing host") }
        guard !authority.contains("@") else {
            throw UpstreamURLError(url: text, reason: "credentials in the URL are not supported")
        }
        self.host = String(host)
        self.port = port
        var base = String(path)
        while base.hasSuffix("/") { base.removeLast() }
        self.basePath = base
        let shownHost = host.contains(":") ? "[\(host)]" : String(host)
        self.hostHeader = port == 80 ? shownHost : "\(shownHost):\(port)"
    }

    /// The request target sent upstream: the base path followed by the client's target, unchanged.
    @inlinable
    public func target(for uri: String) -> String {
        self.basePath.isEmpty ? uri : self.basePath + uri
    }
}

/// An upstream URL that cannot be used.
public struct UpstreamURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "invalid upstream URL '\(self.url)': \(self.reason)" }
}
