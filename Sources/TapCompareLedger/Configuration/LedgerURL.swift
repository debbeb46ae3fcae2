/// Where the ledger lives: `postgres://user:pass@host:port/db?sslmode=disable|prefer|require|verify-ca|verify-full`
/// (with `&sslrootcert=CA.pem` for the verifying modes) or `sqlite:PATH`.
///
/// The default, when neither the configuration nor `--ledger` names one, is ``default`` (`sqlite:tapcompare.sqlite`),
/// so the tool runs with no database server at all.
///
/// The password is kept for connecting but never shown: ``description`` prints `postgres://user:***@host:port/db`,
/// so a URL can go into a log line or an error message as it is.
public struct LedgerURL: Sendable, Hashable, CustomStringConvertible {
    /// TLS policy for a Postgres connection, from the `sslmode` query parameter (default ``prefer``).
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain TCP otherwise.
        case prefer
        /// TLS or no connection; the server's certificate is not verified (as libpq's `require`): encrypted, but
        /// not protected from an impostor. Said once in the log.
        case require
        /// TLS, and the server's certificate must chain to the trusted CA (`sslrootcert`, else the system's roots);
        /// the host name is not checked.
        case verifyCA = "verify-ca"
        /// As ``verifyCA``, and the certificate must name the host connected to (DNS name or IP address).
        case verifyFull = "verify-full"

        /// Whether the server's certificate is verified.
        public var verifies: Bool { self == .verifyCA || self == .verifyFull }
    }

    /// The parameters of a `postgres://` URL.
    public struct Postgres: Sendable, Hashable {
        public var host: String
        /// Default 5432.
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        /// Default ``SSLMode/prefer``.
        public var sslMode: SSLMode
        /// The CA certificates (PEM file) that ``SSLMode/verifyCA`` and ``SSLMode/verifyFull`` trust, from the
        /// `sslrootcert` query parameter. Default `nil`: the system's trust roots.
        public var sslRootCert: String?

        public init(
            host: String, port: Int = 5432, username: String, password: String?, database: String, sslMode: SSLMode = .prefer,
            sslRootCert: String? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.sslMode = sslMode
            self.sslRootCert = sslRootCert
        }
    }

    public enum Backend: Sendable, Hashable {
        case postgres(Postgres)
        /// A file path (relative paths resolve against the working directory).
        case sqlite(path: String)
    }

    public var backend: Backend

    public init(backend: Backend) {
        self.backend = backend
    }

    /// `sqlite:tapcompare.sqlite`, the ledger used when none is configured.
    public static let `default` = LedgerURL(backend: .sqlite(path: "tapcompare.sqlite"))

    /// Parses a ledger URL.
    ///
    /// - Throws: ``LedgerError`` with code `invalidURL`, saying what is wrong and how to write it; the message
    ///   never contains the password. A `postgres://` URL's message names the URL (password hidden) and is whole
    ///   without the ledger's context (``LedgerError/detail``), for the other PostgreSQL URLs read with this parser.
    public init(parsing text: String) throws(LedgerError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let shown = Self.redactingPassword(in: trimmed)
        if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            // Accept `sqlite:///abs/path` and `sqlite://rel` as well as `sqlite:PATH`.
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else {
                throw LedgerError.invalidURL("'sqlite:' needs a file path, e.g. 'sqlite:tapcompare.sqlite'")
            }
            self.backend = .sqlite(path: path)
            return
        }
        let scheme: String
        if trimmed.hasPrefix("postgres://") {
            scheme = "postgres://"
        } else if trimmed.hasPrefix("postgresql://") {
            scheme = "postgresql://"
        } else {
            throw LedgerError.invalidURL(
                "'\(shown)' is not a ledger URL; write 'postgres://user:pass@host:5432/db?sslmode=prefer' or 'sqlite:PATH'"
            )
        }
        var rest = Substring(trimmed.dropFirst(scheme.count))
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // userinfo@host:port/db — the userinfo is split at the LAST '@' so a password may contain '@' if escaped or not.
        guard let at = rest.lastIndex(of: "@") else {
            throw LedgerError.invalidURL("postgres URL '\(shown)' has no user; write 'postgres://user:pass@host:5432/db'")
        }
        let userInfo = rest[..<at]
        let hostPart = rest[rest.index(after: at)...]
        let username: String
        let password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            username = Self.percentDecoded(userInfo[..<colon])
            password = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
        } else {
            username = Self.percentDecoded(userInfo)
            password = nil
        }
        guard !username.isEmpty else {
            throw LedgerError.invalidURL("postgres URL '\(shown)' has an empty user name")
        }
        guard let slash = hostPart.firstIndex(of: "/") else {
            throw LedgerError.invalidURL("postgres URL '\(shown)' names no database; add '/DBNAME' after the host")
        }
        let hostPort = hostPart[..<slash]
        let database = Self.percentDecoded(hostPart[hostPart.index(after: slash)...])
        guard !database.isEmpty, !database.contains("/") else {
            throw LedgerError.invalidURL("postgres URL '\(shown)' names no database; add '/DBNAME' after the host")
        }
        var host = String(hostPort)
        var port = 5432
        if hostPort.hasPrefix("[") {
            // IPv6 literal: [::1]:5432
            guard let close = hostPort.firstIndex(of: "]") else {
                throw LedgerError.invalidURL("postgres URL '\(shown)': host '\(hostPort)' has an unclosed '['")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw LedgerError.invalidURL("postgres URL '\(shown)': port '\(after.dropFirst())' is not a number between 1 and 65535")
                }
                port = p
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            let portText = hostPort[hostPort.index(after: colon)...]
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw LedgerError.invalidURL("postgres URL '\(shown)': port '\(portText)' is not a number between 1 and 65535")
            }
            port = p
        }
        guard !host.isEmpty else {
            throw LedgerError.invalidURL("postgres URL '\(shown)' has no host")
        }
        var sslMode = SSLMode.prefer
        var sslRootCert: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0])
            let value = kv.count > 1 ? String(kv[1]) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw LedgerError.invalidURL("postgres URL '\(shown)': sslmode '\(value)' is not supported; use disable, prefer, require, verify-ca or verify-full")
                }
                sslMode = mode
            case "sslrootcert":
                let path = Self.percentDecoded(Substring(value))
                guard !path.isEmpty else {
                    throw LedgerError.invalidURL("postgres URL '\(shown)': sslrootcert is empty; give the PEM file of the CA that signed the server's certificate")
                }
                sslRootCert = path
            default:
                throw LedgerError.invalidURL("postgres URL '\(shown)': unknown parameter '\(key)'; only 'sslmode' and 'sslrootcert' are supported")
            }
        }
        if let sslRootCert {
            guard sslMode.verifies else {
                throw LedgerError.invalidURL(
                    "postgres URL '\(shown)': sslrootcert is only used to verify the server; add sslmode=verify-full (or verify-ca) to the URL, or remove sslrootcert"
                )
            }
            guard FileManager.default.isReadableFile(atPath: sslRootCert) else {
                throw LedgerError.invalidURL("postgres URL '\(shown)': sslrootcert '\(sslRootCert)': no such readable file; give the PEM file of the CA that signed the server's certificate")
            }
        }
        self.backend = .postgres(Postgres(
            host: host, port: port, username: username, password: password, database: database, sslMode: sslMode, sslRootCert: sslRootCert
        ))
    }

    /// The URL with its password replaced by `***`.
    public var description: String {
        switch self.backend {
        case .sqlite(let path):
            return "sqlite:\(path)"
        case .postgres(let pg):
            let hostText = pg.host.contains(":") ? "[\(pg.host)]" : pg.host
            let user = pg.password == nil ? pg.username : "\(pg.username):***"
            let rootCert = pg.sslRootCert.map { "&sslrootcert=\($0)" } ?? ""
            return "postgres://\(user)@\(hostText):\(pg.port)/\(pg.database)?sslmode=\(pg.sslMode.rawValue)\(rootCert)"
        }
    }

    /// Hides whatever sits between `user:` and the last `@` of a URL-looking text, for error messages about text
    /// that could not be parsed.
    static func redactingPassword(in text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound else {
            return text
        }
        let userInfo = text[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        return String(text).removingPercentEncoding ?? String(text)
    }
}

import Foundation
