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
    /// The header the request id travels in (`request_id_header`). Default `X-Request-Id`.
    ///
    /// Not a `redact:` key: the loader copies `request_id_header` here, because the id is stored on its own (the
    /// ledger's `request_id` column, a capture's `request_id` field) as well as in its header. When that header is
    /// redacted (``headers`` names it), the stored id is ``Redactor/marker`` too: a secret carried as a request id
    /// (a session token in a correlation header) must not outlive its header's redaction.
    public var requestIDHeader: String

    public init(headers: [String] = [], jsonPaths: [String] = [], queryParameters: [String] = [], requestIDHeader: String = "X-Request-Id") {
        self.headers = headers
        self.jsonPaths = jsonPaths
        self.queryParameters = queryParameters
        self.requestIDHeader = requestIDHeader
    }

    /// Lower-cased header names to redact: the defaults plus ``headers``.
    public var effectiveHeaderNames: Set<String> {
        Set((Self.defaultHeaders + self.headers).map { $0.lowercased() })
    }
}
