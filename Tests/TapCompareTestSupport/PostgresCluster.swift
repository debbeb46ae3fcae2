import Foundation

/// A private PostgreSQL cluster (`scripts/postgres.sh`) for tests that stop the server: an outage must never hit
/// tests sharing the suite's server.
public final class PostgresCluster: Sendable {
    public let directory: String
    /// `postgres://tapcompare:…@127.0.0.1:PORT/tapcompare?sslmode=disable`, as the script printed it.
    public let urlText: String

    private init(directory: String, urlText: String) {
        self.directory = directory
        self.urlText = urlText
    }

    /// Creates and starts a cluster in a new temporary directory (a few seconds: `initdb`).
    public static func start() async throws -> PostgresCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-pg-\(UUID().uuidString)").path
        let output = try await runProcess([Paths.postgresScript, "start", directory])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("TAPCOMPARE_TEST_POSTGRES_URL=") }) else {
            throw TestSetupError("scripts/postgres.sh start printed no URL: \(output)")
        }
        return PostgresCluster(directory: directory, urlText: String(line.dropFirst("TAPCOMPARE_TEST_POSTGRES_URL=".count)))
    }

    /// Makes the server offer TLS with this certificate and key (PEM files), reloading it.
    public func enableTLS(certificateFile: String, keyFile: String) async throws {
        _ = try await runProcess([Paths.postgresScript, "tls", self.directory, certificateFile, keyFile])
    }

    /// Stops the server abruptly (`pg_ctl stop -m immediate`), keeping its data.
    public func halt() async throws { _ = try await runProcess([Paths.postgresScript, "halt", self.directory]) }
    /// Starts it again on the same port.
    public func resume() async throws { _ = try await runProcess([Paths.postgresScript, "resume", self.directory]) }
    /// Stops the server and deletes its directory.
    public func stop() async {
        _ = try? await runProcess([Paths.postgresScript, "stop", self.directory])
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
