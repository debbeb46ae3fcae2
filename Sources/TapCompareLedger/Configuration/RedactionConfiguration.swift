/// What is replaced by `[REDACTED]` before anything reaches the ledger (`redact:` in the configuration).
///
/// The sensitive defaults cannot be switched off by configuring other names: the headers listed here are added
/// to ``defaultHeaders``, never substituted for them, because a configuration that forgets `Authorization` must
/// not start storing bearer tokens.
public struct RedactionConfiguration: Sendable, Hashable {
    /// Always redacted, whatever is configured: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`.
    public static let defaultHeaders: [String] = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"]

    /// Extra header names (case-insensitive) whose values are redacted in request samples (`redact.headers`).
    /// Default: none beyond ``defaultHeaders``.
    public var headers: [String]
    /// JSONPath expressions (`$.user.email`, `$.items[*].token`) redacted in stored bodies and in discrepancy
    /// values at matching paths (`redact.json_paths`). Default: none.
    public var jsonPaths: [String]
    /// Query parameter names (case-sensitive, as in URLs) whose values are redacted in the stored `path`
    /// and in request samples (`redact.query_params`). Default: none.
    public var queryParameters: [String]

    public init(headers: [String] = [], jsonPaths: [String] = [], queryParameters: [String] = []) {
        self.headers = headers
        self.jsonPaths = jsonPaths
        self.queryParameters = queryParameters
    }

    /// Lower-cased header names to redact: the defaults plus ``headers``.
    public var effectiveHeaderNames: Set<String> {
        Set((Self.defaultHeaders + self.headers).map { $0.lowercased() })
    }
}
