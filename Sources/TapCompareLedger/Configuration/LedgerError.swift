/// An error from the ledger, safe to show to a user: ``description`` never contains a password or a sample.
///
/// Shaped like `PSQLError` and `HTTPClientError`: a public struct over a private code, so a new case is not a
/// breaking change. ``debugDescription`` adds the underlying error for logs.
public struct LedgerError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private enum Code: Sendable, Hashable {
        case invalidURL
        case invalidConfiguration
        case storeUnavailable
        case migrationFailed
        case schemaTooNew
        case spool
        case invalidArgument
        case rejected
        case queryFailed
    }

    private let code: Code
    /// What went wrong and, for a user's mistake, how to fix it.
    public let message: String
    /// ``message`` without the ledger's context (`invalid ledger URL: `), for a caller that parsed a URL that is
    /// not the ledger's (a store check's PostgreSQL URL) and names it its own way.
    public let detail: String
    private let underlying: String?

    private init(_ code: Code, _ message: String, detail: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.detail = detail ?? message
        self.underlying = underlying.map { String(reflecting: $0) }
    }

    public var description: String { self.message }

    public var debugDescription: String {
        if let underlying { return "\(self.message) (\(underlying))" }
        return self.message
    }

    /// A ledger URL that cannot be parsed.
    public static func invalidURL(_ message: String) -> LedgerError { LedgerError(.invalidURL, "invalid ledger URL: \(message)", detail: message) }
    /// A configuration value out of range.
    public static func invalidConfiguration(_ message: String) -> LedgerError { LedgerError(.invalidConfiguration, message) }
    /// The database could not be reached or refused the operation.
    public static func storeUnavailable(_ message: String, underlying: (any Error)? = nil) -> LedgerError {
        LedgerError(.storeUnavailable, message, underlying: underlying)
    }
    /// A schema migration failed; nothing of it was applied (each migration runs in a transaction).
    public static func migrationFailed(_ message: String, underlying: (any Error)? = nil) -> LedgerError {
        LedgerError(.migrationFailed, message, underlying: underlying)
    }
    /// The ledger was migrated by a newer TapCompare (``Migration/refuseNewer(found:known:ledger:)``): a user's
    /// mistake (an older binary deployed), not an outage, so waiting for it to pass is pointless.
    public static func schemaTooNew(_ message: String) -> LedgerError { LedgerError(.schemaTooNew, message) }
    /// The on-disk spool could not be opened, written or read.
    public static func spool(_ message: String, underlying: (any Error)? = nil) -> LedgerError {
        LedgerError(.spool, message, underlying: underlying)
    }
    /// A command-line argument out of range (e.g. `--older-than`).
    public static func invalidArgument(_ message: String) -> LedgerError { LedgerError(.invalidArgument, message) }

    /// The database refused the data itself (a constraint or a value it cannot hold), not the connection:
    /// retrying the same rows can never succeed.
    public static func rejected(_ message: String, underlying: (any Error)? = nil) -> LedgerError {
        LedgerError(.rejected, message, underlying: underlying)
    }

    /// A read statement (``LedgerReader``) failed on a reachable database.
    public static func queryFailed(_ message: String, underlying: (any Error)? = nil) -> LedgerError {
        LedgerError(.queryFailed, message, underlying: underlying)
    }

    public var isRejected: Bool { self.code == .rejected }
    public var isInvalidURL: Bool { self.code == .invalidURL }
    public var isStoreUnavailable: Bool { self.code == .storeUnavailable }
    public var isSchemaTooNew: Bool { self.code == .schemaTooNew }
}
