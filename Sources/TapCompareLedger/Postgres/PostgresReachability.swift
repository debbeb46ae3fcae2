import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Whether a PostgreSQL server takes connections, and this client's log-in: asked before an operation (a ledger
/// write or read, a store check's read) while the server is not known to be up (before the first operation that
/// succeeds, and after any that failed), and, for refusal only, during any operation still running after
/// ``slowCheckAfter``.
///
/// Why: PostgresNIO's pool does not fail a lease when its connection attempts fail. It keeps the lease waiting and
/// retries with a growing backoff, until its circuit breaker trips after a minute. So every ledger write to a server
/// that was down waited out the whole `ledger.write_timeout` (5 s) before it could be spooled, and the writer, which
/// replays the spool in its own loop, took no batch meanwhile: for 5 s of every `ledger.retry_interval` + 5 s of an
/// outage, comparisons piled up in its queue (and past `ledger.queue_capacity` were dropped as `queue_full`)
/// instead of going to the spool. Reads waited the same: `tapcompare report` on a ledger whose server was down (or a
/// wrong port) said "could not connect" after 67 s, and a store check of a sister database that was down waited out
/// its timeout and was recorded as `timeout`. A wrong password or database name waited the same minute, and then
/// said only "could not connect to the server".
///
/// - **Before an operation** while the server is not known to be up, the check logs in as the operation would
///   (TCP, TLS as `sslmode` asks, the start-up message and authentication) and closes the connection. A refused
///   connect fails the operation at once with the address; a server that refuses the log-in, with the server's own
///   words (`password authentication failed for user "tapcompare"`, `database "x" does not exist`); a failed TLS
///   handshake, with the TLS error. PostgreSQL logs these attempts as it logs any failed log-in.
/// - **During an operation** still running after ``slowCheckAfter``, only a TCP connect: a server that went down
///   since the last operation is noticed this soon. That connect is closed at once, which PostgreSQL may log as an
///   incomplete startup packet. A server that takes it is left to the pool and the caller's own timeout.
public final class PostgresReachability: Sendable {
    /// How long an operation on a server known to be up runs before the server is checked: a server that went
    /// down since the last one is noticed this soon, not at the caller's timeout (or the pool's minute). Longer
    /// than a healthy batch's transaction, so a healthy ledger's writes are not checked.
    public static let slowCheckAfter = Duration.seconds(1)

    /// Why an operation was not tried, for the caller's error: ``description`` follows the server's name
    /// ("ledger URL …", "PostgreSQL …"), ``hint`` says what to check.
    public struct Refusal: Sendable {
        /// `does not take connections at HOST:PORT`, `at HOST:PORT refused the log-in: MESSAGE (SQLSTATE S)`, …
        public var description: String
        /// What the user can check, e.g. `is the server running, and are the host and port right?`.
        public var hint: String
        public var underlying: any Error
    }

    public let host: String
    public let port: Int
    let connectTimeout: TimeAmount
    /// The log-in the check makes: the operations' own. `nil` when its TLS context cannot be made (an unreadable
    /// `sslrootcert`): the check is then a TCP connect, and the pool's own connects report the TLS error.
    private let logIn: PostgresConnection.Configuration?
    private let logger: Logger
    /// An operation succeeded, and none failed since.
    private let confirmedUp = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - postgres: the server and the log-in the operations use.
    ///   - connectTimeout: how long a check may take to connect and log in; the pool's own connect timeout.
    ///   - logger: for PostgresNIO's connection (debug and below).
    public init(postgres: LedgerURL.Postgres, connectTimeout: TimeAmount, logger: Logger) {
        self.host = postgres.host
        self.port = postgres.port
        self.connectTimeout = connectTimeout
        self.logger = logger
        if let tls = try? PostgresTLS.connectionConfiguration(for: postgres, logger: logger) {
            var configuration = PostgresConnection.Configuration(
                host: postgres.host, port: postgres.port, username: postgres.username, password: postgres.password,
                database: postgres.database, tls: tls
            )
            configuration.options.connectTimeout = connectTimeout
            self.logIn = configuration
        } else {
            self.logIn = nil
        }
    }

    /// Runs `operation`, first checking that the server takes connections and this log-in unless an operation has
    /// succeeded since the last failure, and checking that it takes connections if `operation` is still running
    /// after ``slowCheckAfter``. Whatever `operation` throws marks the server as not known to be up.
    /// - Parameter refused: the caller's error for a server that refuses connections or the log-in.
    /// - Throws: what `refused` makes when the server refuses (`operation` is cancelled then); otherwise what
    ///   `operation` throws.
    public func whenReachable<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T,
        refused: @escaping @Sendable (Refusal) -> any Error
    ) async throws -> T {
        if !self.confirmedUp.withLockedValue({ $0 }) {
            try await self.checkLogIn(refused)
        }
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: Self.slowCheckAfter)
                    try await self.checkConnect(refused)
                    return nil
                }
                // The check's task ends first with `nil` when the server takes connections: wait on for the operation.
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
            self.confirmedUp.withLockedValue { $0 = true }
            return result
        } catch {
            self.confirmedUp.withLockedValue { $0 = false }
            throw error
        }
    }

    private var address: String { "\(self.host):\(self.port)" }

    private func refusedConnection(_ error: any Error) -> Refusal {
        Refusal(
            description: "does not take connections at \(self.address)",
            hint: "is the server running, and are the host and port right?", underlying: error
        )
    }

    /// Connects and logs in as the operations do, then closes the connection.
    private func checkLogIn(_ refused: (Refusal) -> any Error) async throws {
        guard let logIn = self.logIn else { return try await self.checkConnect(refused) }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: logIn, id: 0, logger: self.logger
            ).get()
        } catch {
            throw refused(self.refusal(error))
        }
        try? await connection.close()
    }

    /// What a failed log-in says: the server's refusal in its own words, a TLS failure, or a refused connect.
    private func refusal(_ error: any Error) -> Refusal {
        guard let psql = error as? PSQLError else { return self.refusedConnection(error) }
        if let info = psql.serverInfo {
            let state = info[.sqlState] ?? "?"
            // Class 28 is a refused authorization, 3D000 a database that does not exist: the URL is wrong. Others
            // (53300 too many connections, 57P03 starting up or in recovery) are the server's state, not the URL's.
            let hint =
                state.hasPrefix("28") || state == "3D000"
                ? "are the user name, password and database in the URL right?"
                : "the server cannot take this session now"
            return Refusal(
                description: "at \(self.address) refused the log-in: \(info[.message] ?? "no message") (SQLSTATE \(state))",
                hint: hint, underlying: error
            )
        }
        if psql.code == .sslUnsupported {
            return Refusal(
                description: "at \(self.address) does not offer TLS", hint: "sslmode=disable or prefer connects without it", underlying: error
            )
        }
        if let underlying = psql.underlying, underlying is NIOSSLError || underlying is BoringSSLError {
            return Refusal(
                description: "at \(self.address) failed the TLS handshake: \(underlying)",
                hint: "is sslrootcert the CA that signed the server's certificate, and does it name the host?", underlying: error
            )
        }
        if psql.code == .connectionError { return self.refusedConnection(error) }
        return Refusal(
            description: "at \(self.address) could not be logged in to: \(psql.code)",
            hint: "is it a PostgreSQL server, and is the URL's sslmode right?", underlying: error
        )
    }

    /// A TCP connect only, closed at once.
    private func checkConnect(_ refused: (Refusal) -> any Error) async throws {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(self.connectTimeout)
                .connect(host: self.host, port: self.port)
                .get()
        } catch {
            throw refused(self.refusedConnection(error))
        }
        try? await channel.close()
    }
}

extension PostgresReachability {
    /// ``whenReachable(_:refused:)`` for the ledger: a refusal is ``LedgerError/storeUnavailable(_:underlying:)``
    /// naming the ledger and what to check.
    func whenReachable<T: Sendable>(ledger url: LedgerURL, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await self.whenReachable(operation) { refusal in
            LedgerError.storeUnavailable("ledger \(url) \(refusal.description) (\(refusal.hint))", underlying: refusal.underlying)
        }
    }
}
