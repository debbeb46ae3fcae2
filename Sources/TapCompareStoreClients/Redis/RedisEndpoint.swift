/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`.
///
/// ``description`` never shows the password (connection strings end up in logs, the report and error messages).
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// Default 6379.
    public var port: Int
    /// `AUTH` user (Redis 6 ACLs); `nil` for the default user.
    public var user: String?
    public var password: String?
    /// `SELECT`ed after connecting when not 0. Default 0.
    public var database: Int

    public init(host: String, port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `redis://…` (a bare `host:port` is accepted too).
    /// - Throws: ``StoreClientError`` naming what is wrong and the form to write.
    public init(parsing text: String) throws(StoreClientError) {
        let form = "write redis://[[user]:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0"
        var rest = Substring(text)
        if rest.hasPrefix("rediss://") {
            throw .invalidAddress("'\(Self.redacted(text))': TLS to Redis (rediss://) is not supported; reach it over a local TLS tunnel or plain redis://")
        }
        if rest.hasPrefix("redis://") { rest = rest.dropFirst("redis://".count) } else if rest.contains("://") {
            throw .invalidAddress("'\(Self.redacted(text))' is not a redis:// URL; \(form)")
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = credentials[..<colon].isEmpty ? nil : String(credentials[..<colon]).removingPercentEncodingLeniently
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingLeniently
            } else {
                password = String(credentials).removingPercentEncodingLeniently
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw .invalidAddress("'\(Self.redacted(text))': database '\(db)' is not a number; \(form)") }
                database = n
            }
        }
        let (host, port) = try HostPort.split(rest, defaultPort: 6379, original: Self.redacted(text), form: form)
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    public var description: String {
        let credentials = self.password == nil ? (self.user.map { "\($0)@" } ?? "") : "\(self.user ?? ""):***@"
        return "redis://\(credentials)\(self.host):\(self.port)/\(self.database)"
    }

    /// `text` with anything between `://` and `@` masked, for error messages about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        var start = text.startIndex
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") { start = text.index(colon, offsetBy: 3) }
        return String(text[..<start]) + "***" + String(text[at...])
    }
}

/// `host:port` splitting shared by the store endpoints (IPv6 in brackets: `[::1]:6379`).
enum HostPort {
    static func split(_ text: Substring, defaultPort: Int, original: String, form: String) throws(StoreClientError) -> (String, Int) {
        var host = text
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalidAddress("'\(original)': unclosed '[' in the host; \(form)") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw .invalidAddress("'\(original)': unexpected '\(after)' after the host; \(form)")
            }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .invalidAddress("'\(original)' has no host; \(form)") }
        var port = defaultPort
        if let portText {
            guard let n = Int(portText), (1...65_535).contains(n) else { throw .invalidAddress("'\(original)': port '\(portText)' is not 1…65535; \(form)") }
            port = n
        }
        return (String(host), port)
    }
}

extension String {
    /// Percent-decoded when the escapes are valid, unchanged otherwise (a password may contain a bare `%`).
    var removingPercentEncodingLeniently: String {
        var bytes: [UInt8] = []
        var utf8 = self.utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
