import Logging
import NIOConcurrencyHelpers
import NIOSSL
import PostgresNIO

/// The TLS policy of a Postgres connection for its `sslmode`, as libpq defines the modes; one place for the ledger's
/// writer and the review layer.
public enum PostgresTLS {
    /// Whether the `require` notice was logged: once per process (``shared``), not once per pool.
    public final class RequireNotice: Sendable {
        public static let shared = RequireNotice()
        private let logged = NIOLockedValueBox(false)

        public init() {}

        /// `true` the first time only.
        func claim() -> Bool {
            self.logged.withLockedValue { logged in
                defer { logged = true }
                return !logged
            }
        }
    }

    /// The client configuration for `postgres`'s `sslmode`.
    ///
    /// - `disable`: plain TCP. `prefer`: TLS when offered, unverified.
    /// - `require`: TLS, unverified: encrypted but open to an impostor; logged once at notice level with the fix.
    /// - `verify-ca`: TLS, the certificate must chain to `sslrootcert` (else the system's roots).
    /// - `verify-full`: as `verify-ca`, and the certificate must name the host (DNS name, or the IP address
    ///   connected to).
    /// - Parameter notice: where "said once" is remembered; the process-wide ``RequireNotice/shared`` by default.
    public static func configuration(
        for postgres: LedgerURL.Postgres, logger: Logger, notice: RequireNotice = .shared
    ) -> PostgresClient.Configuration.TLS {
        switch Self.mode(for: postgres, logger: logger, notice: notice) {
        case .disable: .disable
        case .prefer(let configuration): .prefer(configuration)
        case .require(let configuration): .require(configuration)
        }
    }

    /// The same policy for a single connection (``PostgresReachability``'s log-in check), whose TLS PostgresNIO
    /// takes as a ready context.
    /// - Throws: NIOSSL's error when the context cannot be made (an unreadable `sslrootcert`).
    static func connectionConfiguration(
        for postgres: LedgerURL.Postgres, logger: Logger, notice: RequireNotice = .shared
    ) throws -> PostgresConnection.Configuration.TLS {
        switch Self.mode(for: postgres, logger: logger, notice: notice) {
        case .disable: .disable
        case .prefer(let configuration): .prefer(try NIOSSLContext(configuration: configuration))
        case .require(let configuration): .require(try NIOSSLContext(configuration: configuration))
        }
    }

    /// What `sslmode` asks of a connection: the one reading of it behind both configurations above.
    private enum Mode {
        case disable
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    private static func mode(for postgres: LedgerURL.Postgres, logger: Logger, notice: RequireNotice) -> Mode {
        switch postgres.sslMode {
        case .disable:
            return .disable
        case .prefer:
            return .prefer(Self.unverified())
        case .require:
            if notice.claim() {
                logger.notice(
                    "ledger sslmode=require encrypts but does not verify the server's certificate; use sslmode=verify-full with sslrootcert=CA.pem to verify it",
                    metadata: ["ledger.host": "\(postgres.host)"]
                )
            }
            return .require(Self.unverified())
        case .verifyCA, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = postgres.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let rootCert = postgres.sslRootCert {
                configuration.trustRoots = .file(rootCert)
            }
            return .require(configuration)
        }
    }

    private static func unverified() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }
}
