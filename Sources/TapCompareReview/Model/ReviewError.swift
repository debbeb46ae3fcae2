import TapCompareLedger

/// Why a report or a UI request could not be answered. The ``description`` is safe to show (it never holds a
/// password or a bound value); the command prints it and exits non-zero, the API returns it as `{"error": …}`.
public struct ReviewError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case ledgerUnavailable
        case queryFailed
        case invalidArgument
        case notFound
        case limitReached
    }

    let code: Code
    public let message: String

    public var description: String { self.message }

    /// The ledger could not be opened (missing file, not a ledger, server down).
    public static func ledgerUnavailable(_ message: String) -> Self { Self(code: .ledgerUnavailable, message: message) }
    /// A query failed on the database.
    public static func queryFailed(_ message: String) -> Self { Self(code: .queryFailed, message: message) }
    /// A flag or an API parameter is wrong; the message says how to write it.
    public static func invalidArgument(_ message: String) -> Self { Self(code: .invalidArgument, message: message) }
    /// The comparison (or route) asked for does not exist.
    public static func notFound(_ message: String) -> Self { Self(code: .notFound, message: message) }

    /// A bound was reached (e.g. ``LedgerReportSource/maxAnnotations``); the message says which and what to do.
    public static func limitReached(_ message: String) -> Self { Self(code: .limitReached, message: message) }

    /// The review's error for a ledger read that failed: the ledger could not be opened (or is not a ledger), or a
    /// query failed; the message is the reader's.
    static func reading(_ error: LedgerError) -> Self {
        error.isStoreUnavailable ? .ledgerUnavailable(error.message) : .queryFailed(error.message)
    }

    /// Whether the caller's input is at fault (HTTP 400/404/409) rather than the ledger (HTTP 503).
    public var isClientError: Bool { self.code == .invalidArgument || self.code == .notFound || self.code == .limitReached }
    public var isNotFound: Bool { self.code == .notFound }
    public var isLimitReached: Bool { self.code == .limitReached }
}
