import TapCompareJSON

/// One `verify.stores:` entry of a write route: what to read from one store after both writes answered.
public struct StoreCheck: Sendable {
    /// How the record is found.
    public enum Read: Sendable, Hashable {
        /// `query:` + `params:` (postgres, sqlite): a single `SELECT`, `$1`… (postgres) or `?` (sqlite) bound to
        /// the values named in `params`.
        case query(SelectStatement, params: [ValueSource])
        /// `key:` (redis, memcached): a key template such as `comment:{$.id}`.
        case key(KeyTemplate)
        /// `match:` (redis_stream): the first event emitted since the write started whose `path` equals the
        /// value, waited for up to `within`.
        case event(path: JSONPointer, equals: ValueSource, within: Duration)
    }

    /// The `stores:` entry read.
    public var store: String
    public var read: Read
    /// `version:`: where the record's version is in what the store holds (`updated_at`, `$.meta.version`; for
    /// PostgreSQL select `xmin` and name it). When legacy's version moved — between the write's answer and the
    /// read (``versionFrom``), or between the read and a second read after `stores_recheck_delay` — a production
    /// write raced the check, and its discrepancies are classified `race`, not `regression`. Default: none.
    public var version: JSONPointer?
    /// `version_from:`: where the same version is in legacy's write answer (`$.updated_at`). Default: none.
    public var versionFrom: ValueSource?
    /// `consumer_check:` (redis_stream): a command that reads one event on standard input and exits 0 when
    /// legacy's consumers can read it, e.g. `[python3, consumers/check_event.py]`. Default: none (the event is
    /// still checked against the shape of legacy's events).
    public var consumerCheck: [String]?
    /// `schema:` (redis_stream): the JSON Schema legacy's consumers read events by; when given, events are checked
    /// against it instead of the shape learned from legacy's events. Default: none.
    public var schema: EventSchema?

    public init(store: String, read: Read, version: JSONPointer? = nil, versionFrom: ValueSource? = nil, consumerCheck: [String]? = nil) {
        self.store = store
        self.read = read
        self.version = version
        self.versionFrom = versionFrom
        self.consumerCheck = consumerCheck
    }
}

/// Where a value of a check (a query parameter, a key part, an event id) comes from. Each side uses its own
/// answer: the candidate's sister store has its own ids.
public enum ValueSource: Sendable, Hashable, CustomStringConvertible {
    /// `$.id`: a single-value JSONPath into each side's own write response.
    case response(JSONPointer)
    /// `request:$.post_id`: a single-value JSONPath into the write's request body (the same for both sides).
    case request(JSONPointer)
    /// `path:id`: a parameter of the write route's template.
    case pathParameter(String)

    /// Parses `$.a.b`, `request:$.a`, `path:name`.
    /// - Throws: a message saying which forms are accepted.
    public init(parsing text: String) throws(StoreConfigurationError) {
        if text.hasPrefix("path:") {
            let name = String(text.dropFirst("path:".count))
            guard !name.isEmpty else { throw StoreConfigurationError("'\(text)' names no path parameter; write path:NAME, e.g. path:id") }
            self = .pathParameter(name)
            return
        }
        let isRequest = text.hasPrefix("request:")
        let pathText = isRequest ? String(text.dropFirst("request:".count)) : text
        guard let path = try? JSONPath(parsing: pathText), let pointer = path.singleValuePointer else {
            throw StoreConfigurationError("'\(text)' is not a value source; write a single-value JSONPath into each side's response ($.id), request:$.field, or path:NAME")
        }
        self = isRequest ? .request(pointer) : .response(pointer)
    }

    public var description: String {
        switch self {
        case .response(let pointer): return "$" + Self.dotted(pointer)
        case .request(let pointer): return "request:$" + Self.dotted(pointer)
        case .pathParameter(let name): return "path:\(name)"
        }
    }

    private static func dotted(_ pointer: JSONPointer) -> String {
        pointer.tokens.map { token in token.allSatisfy(\.isNumber) ? "[\(token)]" : ".\(token)" }.joined()
    }
}

/// A key with value sources in braces: `comment:{$.id}`, `user:{request:$.user}:feed`.
public struct KeyTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case literal(String)
        case value(ValueSource)
    }

    public let parts: [Part]
    public let description: String

    /// - Throws: for an unclosed brace or a value source that does not parse.
    public init(parsing text: String) throws(StoreConfigurationError) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw StoreConfigurationError("key '\(text)' has an unclosed '{'; write values as {$.id}, {request:$.field} or {path:name}")
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            parts.append(.value(try ValueSource(parsing: String(rest[rest.index(after: open)..<close]))))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard !parts.isEmpty else { throw StoreConfigurationError("an empty key; write one such as comment:{$.id}") }
        self.parts = parts
        self.description = text
    }
}

/// A mistake in `stores:` or `verify.stores:`; the loader adds the file, line and key.
public struct StoreConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
