import Foundation

/// An upstream base URL (`http://legacy.internal:8000`, `https://candidate:8443/prefix`).
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// A path prefix prepended to every forwarded request target, without a trailing slash (often empty).
    public var pathPrefix: String

    /// Parses an `http` or `https` URL with a host; returns a reason when it cannot.
    public static func parse(_ text: String) -> Result<UpstreamURL, UpstreamURLError> {
        guard let schemeEnd = text.range(of: "://") else {
            return .failure(.init(reason: "'\(text)' is not a URL; write e.g. http://127.0.0.1:8000"))
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(.init(reason: "'\(text)': only http and https upstreams are supported"))
        }
        var rest = text[schemeEnd.upperBound...]
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        if path.contains("?") || path.contains("#") {
            return .failure(.init(reason: "'\(text)': an upstream URL takes no query or fragment"))
        }
        while path.hasSuffix("/") { path.removeLast() }
        guard !rest.isEmpty, !rest.contains("@") else {
            return .failure(.init(reason: "'\(text)' has no host (credentials in upstream URLs are not supported)"))
        }
        let host: String
        var port = scheme == "https" ? 443 : 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                return .failure(.init(reason: "'\(text)': unterminated IPv6 address"))
            }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    return .failure(.init(reason: "'\(text)' has an invalid port"))
                }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(.init(reason: "'\(text)' has an invalid port"))
            }
            port = p
        } else {
            host = String(rest)
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }) else {
            return .failure(.init(reason: "'\(text)' has an invalid host"))
        }
        return .success(UpstreamURL(scheme: scheme, host: host, port: port, pathPrefix: path))
    }

    public init(scheme: String, host: String, port: Int, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    public var isTLS: Bool { self.scheme == "https" }

    /// The URL without a trailing slash, e.g. `http://127.0.0.1:8000`.
    public var description: String {
        let h = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(h):\(self.port)\(self.pathPrefix)"
    }
}

public struct UpstreamURLError: Error, Sendable, Hashable {
    public var reason: String
}
