import NIOHTTP1

/// Where the stable sampling key is read from: with a key, one user (say) is always in or always out.
public enum SampleKey: Sendable, Hashable, CustomStringConvertible {
    /// A request header, e.g. `X-User-Id` (case-insensitive).
    case header(String)
    /// A query parameter, e.g. `user` in `?user=42`.
    case queryParameter(String)

    public var description: String {
        switch self {
        case .header(let name): "header:\(name)"
        case .queryParameter(let name): "query:\(name)"
        }
    }

    /// The key's value in a request, or `nil` when the request does not carry it (the choice is then random).
    public func value(uri: String, headers: HTTPHeaders) -> Substring? {
        switch self {
        case .header(let name):
            return headers.first(name: name).map { $0[...] }
        case .queryParameter(let name):
            guard let q = uri.firstIndex(of: "?") else { return nil }
            var query = uri[uri.index(after: q)...]
            if let fragment = query.firstIndex(of: "#") { query = query[..<fragment] }
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                if let eq = pair.firstIndex(of: "=") {
                    if pair[..<eq] == name { return pair[pair.index(after: eq)...] }
                } else if pair == name {
                    return pair[pair.endIndex...]
                }
            }
            return nil
        }
    }
}
