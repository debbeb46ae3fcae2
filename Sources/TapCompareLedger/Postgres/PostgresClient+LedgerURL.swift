import Logging
import PostgresNIO

extension LedgerURL.Postgres {
    /// The PostgresNIO client configuration for these connection parameters, TLS as ``PostgresTLS`` maps
    /// `sslmode`: for the ledger, and for anything else that connects with a `postgres://` URL (store checks).
    public func clientConfiguration(logger: Logger) -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password,
            database: self.database, tls: PostgresTLS.configuration(for: self, logger: logger)
        )
    }
}
