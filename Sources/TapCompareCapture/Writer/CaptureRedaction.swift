/// What a capture must never contain: the values of sensitive headers and configured JSON body fields.
///
/// The same lists as the ledger's `redact:` section, so one configuration keeps secrets out of both.
public struct CaptureRedaction: Sendable, Hashable {
    /// Always redacted, whatever is configured.
    public static let defaultHeaders: [String] = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"]
    /// What replaces a redacted value.
    public static let placeholder = "[REDACTED]"

    /// Extra header names (case-insensitive), added to ``defaultHeaders``, never substituted for them.
    public var headers: [String]
    /// JSON paths in the documented subset (`$.a.b`, `$.items[*].token`, `$..email`) whose values are replaced
    /// by `"[REDACTED]"` in request and response bodies. Default: none.
    public var jsonPaths: [String]

    public init(headers: [String] = [], jsonPaths: [String] = []) {
        self.headers = headers
        self.jsonPaths = jsonPaths
    }
}
