import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Whether a PostgreSQL server takes connections at all: asked before an operation (a ledger write or read, a
/// store check's read) while the server is not known to be up (before the first operation that succeeds, and after
/// any that failed), and during any operation still running after ``slowCheckAfter``.
///
/// Why: PostgresNIO's pool does not fail a lease when its connection attempts are refused. It keeps the lease
/// waiting and retries with a growing backoff, until its circuit breaker trips after a minute. So every ledger write
/// to a server that was down waited out the whole `ledger.write_timeout` (5 s) before it could be spooled, and the
/// writer, which replays the spool in its own loop, took no batch meanwhile: for 5 s of every
/// `ledger.retry_interval` + 5 s of an outage, comparisons piled up in its queue (and past
/// `ledger.queue_capacity` were dropped as `queue_full`) instead of going to the spool. Reads waited the same:
/// `tapcompare report` on a ledger whose server was down (or a wrong port) said "could not connect" after 67 s, and
/// a store check of a sister database that was down waited out its timeout and was recorded as `timeout`. A refused
/// TCP connect answers in microseconds, so the operation fails at once, with the address.
///
/// Only refusal (and a connect that cannot finish within `connectTimeout`) is decided here. A server that accepts
/// the connection and then fails (TLS, authentication, a database in recovery) is left to the pool and the caller's
/// own timeout, as before. Each check is one TCP connection closed at once, which PostgreSQL may log as an
/// incomplete startup packet: one per operation while the server is not known to be up, and one per operation
/// slower than ``slowCheckAfter``.
public final class PostgresReachability: Sendable {
    /// How long an operation on a server known to be up runs before the server is checked: a server that went
    /// down since the last one is noticed this soon, not at the caller's timeout (or the pool's minute). Longer
    /// than a healthy batch's transaction, so a healthy ledger's writes are not checked.
    public static let slowCheckAfter = Duration.seconds(1)

    public let host: String
    public let port: Int
    let connectTimeout: TimeAmount
    /// An operation succeeded, and none failed since.
    private let confirmedUp = NIOLockedValueBox(false)

    /// - Parameter connectTimeout: how long a check's connect may take; the pool's own connect timeout.
    public init(host: String, port: Int, connectTimeout: TimeAmount) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
    }

    /// Runs `operation`, first checking that the server takes connections unless an operation has succeeded since
    /// the last failure, and checking again if `operation` is still running after ``slowCheckAfter``. Whatever
    /// `operation` throws marks the server as not known to be up.
    /// - Parameter unreachable: the caller's error for a server that refuses connections, given what to say
    ///   (`does not take connections at HOST:PORT`) and the connect's error.
    /// - Throws: what `unreachable` makes when the server refuses connections (`operation` is cancelled then);
    ///   otherwise what `operation` throws.
    public func whenReachable<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T,
        unreachable: @escaping @Sendable (_ description: String, _ underlying: any Error) -> any Error
    ) async throws -> T {
        if !self.confirmedUp.withLockedValue({ $0 }) {
            try await self.check(unreachable)
        }
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: Self.slowCheckAfter)
                    try await self.check(unreachable)
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

    private func check(_ unreachable: (String, any Error) -> any Error) async throws {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(self.connectTimeout)
                .connect(host: self.host, port: self.port)
                .get()
        } catch {
            throw unreachable("does not take connections at \(self.host):\(self.port)", error)
        }
        try? await channel.close()
    }
}

extension PostgresReachability {
    /// ``whenReachable(_:unreachable:)`` for the ledger: a refusal is ``LedgerError/storeUnavailable(_:underlying:)``
    /// naming the ledger and what to check.
    func whenReachable<T: Sendable>(ledger url: LedgerURL, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await self.whenReachable(operation) { description, underlying in
            LedgerError.storeUnavailable(
                "ledger \(url) \(description) (is the server running, and are the host and port right?)", underlying: underlying
            )
        }
    }
}
