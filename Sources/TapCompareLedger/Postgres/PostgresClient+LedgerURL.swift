import NIOSSL
import PostgresNIO

extension LedgerURL.Postgres {
    /// The PostgresNIO client configuration for these connection parameters: the one place that maps `sslmode` to
    /// TLS, for the ledger and for anything else that connects with a `postgres://` URL (store checks).
    ///
    /// `sslmode=prefer|require` use TLS without verifying the server's certificate, as libpq does for those modes.
    public func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.sslMode {
        case .disable:
            tls = .disable
        case .prefer:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tls = .prefer(config)
        case .require:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tls = .require(config)
        }
        return PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password,
            database: self.database, tls: tls
        )
    }
}
