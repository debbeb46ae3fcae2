/// Why a store client call failed. ``description`` is safe for users and logs (it never holds a password or a
/// value read from the store); ``debugDescription`` adds the underlying error.
public struct StoreClientError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidAddress = "invalid_address"
        case invalidRequest = "invalid_request"
        case connectFailed = "connect_failed"
        case timeout
        case closed
        case protocolViolation = "protocol_violation"
        case limitExceeded = "limit_exceeded"
        case serverError = "server_error"
    }

    private let code: Code
    private let message: String
    private let underlying: String?

    private init(_ code: Code, _ message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// A connection string or address that cannot be used; the message says what to write instead.
    public static func invalidAddress(_ message: String) -> Self { Self(.invalidAddress, message) }
    /// A request the protocol cannot carry (a memcached key with a space, say); nothing was sent.
    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }
    /// The TCP connection could not be made (refused, unreachable, connect timeout).
    public static func connectFailed(_ endpoint: String, underlying: any Error) -> Self {
        Self(.connectFailed, "cannot connect to \(endpoint)", underlying: "\(underlying)")
    }
    /// No complete reply within the call's timeout (the connection is closed: later replies would be misread).
    public static func timeout(_ what: String, after: Duration) -> Self { Self(.timeout, "\(what) got no reply within \(after)") }
    /// The connection closed before the reply arrived.
    public static func closed(_ endpoint: String) -> Self { Self(.closed, "connection to \(endpoint) closed before the reply") }
    /// Bytes that are not the protocol.
    public static func protocolViolation(_ message: String) -> Self { Self(.protocolViolation, "protocol violation: \(message)") }
    /// A reply over the client's bounds.
    public static func limitExceeded(_ message: String) -> Self { Self(.limitExceeded, message) }
    /// The server answered with an error (`-ERR …`, `SERVER_ERROR …`).
    public static func serverError(_ message: String) -> Self { Self(.serverError, "server error: \(message)") }

    /// A short, stable reason for metrics labels and the report (`connect_failed`, `timeout`, …).
    public var reason: String { self.code.rawValue }

    public var description: String { self.message }
    public var debugDescription: String { self.underlying.map { "\(self.message): \($0)" } ?? self.message }

    /// Whether the store could not be reached at all (down, refusing, silent), as opposed to a bad reply.
    public var isUnavailable: Bool { [.connectFailed, .timeout, .closed].contains(self.code) }
}
