import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Whether the ledger's server takes connections at all: asked before a write (or a read, by ``PostgresReadDatabase``)
/// while the server is not known to be up (before the first one that succeeds, and after any that failed), and during
/// any that takes longer than ``slowCheckAfter``.
///
/// Why: PostgresNIO's pool does not fail a lease when its connection attempts are refused. It keeps the lease
/// waiting and retries with a growing backoff, until its circuit breaker trips after a minute. So every write to a
/// server that was down waited out the whole `ledger.write_timeout` (5 s) before it could be spooled, and the
/// writer, which replays the spool in its own loop, took no batch meanwhile: for 5 s of every
/// `ledger.retry_interval` + 5 s of an outage, comparisons piled up in its queue (and past
/// `ledger.queue_capacity` were dropped as `queue_full`) instead of going to the spool. A refused TCP connect
/// answers in microseconds, so the write fails at once and its batch is spooled. Reads had the same wait: `tapcompare
/// report` on a ledger URL whose server was down (or a wrong port) said "could not connect" after 67 s.
///
/// Only refusal (and a connect that cannot finish within the pool's connect timeout) is decided here. A server
/// that accepts the connection and then fails (TLS, authentication, a database in recovery) is left to the pool,
/// bounded by `ledger.write_timeout` as before. Each check is one TCP connection closed at once, which
/// PostgreSQL may log as an incomplete startup packet: one per operation while the server is not known to be up,
/// and one per operation slower than ``slowCheckAfter``.
final class PostgresReachability: Sendable {
    /// How long an operation on a server known to be up runs before the server is checked: a server that went
    /// down since the last one is noticed this soon, not at `ledger.write_timeout` (or, for a read, after the
    /// pool's minute). Longer than a healthy batch's transaction, so a healthy ledger's writes are not checked.
    static let slowCheckAfter = Duration.seconds(1)

    let host: String
    let port: Int
    let connectTimeout: TimeAmount
    /// An operation succeeded, and none failed since.
    private let confirmedUp = NIOLockedValueBox(false)

    init(host: String, port: Int, connectTimeout: TimeAmount) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
    }

    /// Runs `operation` (a write or a read), first checking that the server takes connections unless an operation
    /// has succeeded since the last failure, and checking again if `operation` is still running after
    /// ``slowCheckAfter``. Whatever `operation` throws marks the server as not known to be up.
    /// - Throws: ``LedgerError/storeUnavailable(_:underlying:)`` naming the address when it refuses connections
    ///   (`operation` is cancelled then); otherwise what `operation` throws.
    func whenReachable<T: Sendable>(describedAs url: LedgerURL, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        if !self.confirmedUp.withLockedValue({ $0 }) {
            try await self.check(describedAs: url)
        }
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: Self.slowCheckAfter)
                    try await self.check(describedAs: url)
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

    private func check(describedAs url: LedgerURL) async throws {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(self.connectTimeout)
                .connect(host: self.host, port: self.port)
                .get()
        } catch {
            throw LedgerError.storeUnavailable(
                "ledger \(url) does not take connections at \(self.host):\(self.port) (is the server running, and are the host and port right?)",
                underlying: error
            )
        }
        try? await channel.close()
    }
}
