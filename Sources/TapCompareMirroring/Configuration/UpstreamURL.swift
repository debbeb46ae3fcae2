/// An upstream's base URL, split once at start-up so no request parses a URL.
///
/// `http`, `https` and `h2c` are accepted. How an `https` upstream's certificate is checked is not part of the URL:
/// see ``UpstreamTLS``. `h2c://` is HTTP/2 with prior knowledge over plain TCP; an `https://` upstream speaks
/// HTTP/2 when its configuration says so (`upstream.protocol` / `mirror.protocol`, setting ``httpVersion``).
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    /// The HTTP version spoken to an upstream.
    public enum HTTPVersion: String, Sendable, Hashable, CaseIterable {
        /// HTTP/1.1, one request at a time per pooled connection.
        case http1
        /// HTTP/2: requests are streams multiplexed over a few pooled connections.
        case http2
    }

    /// Whether connections are wrapped in TLS (`https://`).
    public var usesTLS: Bool
    /// The protocol spoken: ``HTTPVersion/http2`` for `h2c://`, or for `https://` with `protocol: http2`.
    /// Default ``HTTPVersion/http1``.
    public var httpVersion: HTTPVersion = .http1
    public var host: String
    /// The port; default 80 for `http`, 443 for `https`.
    public var port: Int
    /// Path prefix put before every request target, without a trailing `/`; empty for none.
    public var basePath: String
    /// The value sent in `Host` when the client's is rewritten: `host` or `host:port` for a non-default port.
    public var hostHeader: String

    /// `http` or `https` (HTTP/2's `:scheme` too: `h2c` is `http`).
    public var scheme: String { self.usesTLS ? "https" : "http" }

    /// `scheme://host[:port]`, without the base path.
    public var origin: String { "\(self.scheme)://\(self.hostHeader)" }


    /// The name sent in TLS's server name indication (SNI) and checked against the certificate: the host when
    /// it is a DNS name, `nil` for an IP address (SNI may not carry one; the certificate's IP addresses are
    /// checked against the peer's address instead).
    public var tlsServerName: String? {
        Self.isIPAddress(self.host) ? nil : self.host
    }

    /// The URL as configured: `h2c://…` for plain HTTP/2, `https://… (http2)` for HTTP/2 over TLS.
    public var description: String {
        switch (self.usesTLS, self.httpVersion) {
        case (false, .http2): "h2c://\(self.hostHeader)\(self.basePath)"
        case (true, .http2): "\(self.origin)\(self.basePath) (http2)"
        default: "\(self.origin)\(self.basePath)"
        }
    }

    /// Parses `http://host[:port][/base/path]`, `https://host[:port][/base/path]` or `h2c://host[:port][/base/path]`
    /// (HTTP/2 with prior knowledge, no TLS).
    /// - Throws: ``UpstreamURLError`` saying what is wrong.
    public init(parsing text: String) throws(UpstreamURLError) {
        // Errors show the URL with its user information and query masked: both are where secrets go
        // (`http://user:password@host`, a webhook's `?token=`), and an error goes to the terminal and the log.
        let shown = UpstreamURLError.shown(text)
        let rest: Substring
        if text.hasPrefix("http://") {
            self.usesTLS = false
            rest = text.dropFirst("http://".count)
        } else if text.hasPrefix("https://") {
            self.usesTLS = true
            rest = text.dropFirst("https://".count)
        } else if text.hasPrefix("h2c://") {
            self.usesTLS = false
            self.httpVersion = .http2
            rest = text.dropFirst("h2c://".count)
        } else {
            throw UpstreamURLError(
                url: shown, reason: "expected http://host[:port][/path], https://host[:port][/path] or h2c://host[:port][/path]"
            )
        }
        let defaultPort = self.usesTLS ? 443 : 80
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = ""
        }
        // Before the host and port are read: a password would otherwise be reported as an invalid port.
        guard !authority.contains("@") else {
            throw UpstreamURLError(url: shown, reason: "credentials in the URL are not supported")
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw UpstreamURLError(url: shown, reason: "a base URL cannot have a query or fragment")
        }
        let host: Substring
        var port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw UpstreamURLError(url: shown, reason: "unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw UpstreamURLError(url: shown, reason: "invalid port '\(after.dropFirst())'")
                }
                port = p
            } else if !after.isEmpty {
                throw UpstreamURLError(url: shown, reason: "unexpected '\(after)' after the host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw UpstreamURLError(url: shown, reason: "invalid port '\(authority[authority.index(after: colon)...])'")
            }
            port = p
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw UpstreamURLError(url: shown, reason: "missing host") }
        self.host = String(host)
        self.port = port
        var base = String(path)
        while base.hasSuffix("/") { base.removeLast() }
        self.basePath = base
        let shownHost = host.contains(":") ? "[\(host)]" : String(host)
        self.hostHeader = port == defaultPort ? shownHost : "\(shownHost):\(port)"
    }

    /// Whether `host` is an IPv4 or IPv6 literal (no resolver involved).
    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }  // only IPv6 literals contain a colon once the port is split off
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && Int(part)! <= 255
        }
    }

    /// The request target sent upstream: the base path followed by the client's target, unchanged.
    @inlinable
    public func target(for uri: String) -> String {
        self.basePath.isEmpty ? uri : self.basePath + uri
    }
}

/// An upstream URL that cannot be used.
public struct UpstreamURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL as it may be shown (see ``shown(_:)``).
    public var url: String
    public var reason: String
    public var description: String { "invalid upstream URL '\(self.url)': \(self.reason)" }

    /// `text` with what may be secret masked: user information (`http://***@host`) and a query or fragment
    /// (`/hook?***`).
    public static func shown(_ text: String) -> String {
        var shown = text
        if let colon = shown.firstIndex(of: ":"), shown[colon...].hasPrefix("://") {
            let authorityStart = shown.index(colon, offsetBy: 3)
            let authorityEnd = shown[authorityStart...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? shown.endIndex
            if let at = shown[authorityStart..<authorityEnd].lastIndex(of: "@") {
                shown.replaceSubrange(authorityStart...at, with: "***@")
            }
        }
        if let query = shown.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            shown.replaceSubrange(shown.index(after: query)..., with: "***")
        }
        return shown
    }
}
