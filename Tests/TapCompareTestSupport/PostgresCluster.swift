import Foundation
import NIOCore

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


    /// Stops the server abruptly (`pg_ctl stop -m immediate`), keeping its data, and returns once its port
    /// refuses connections: a test that writes after `halt()` knows the writes meet an outage.
    public func halt() async throws {
        _ = try await runProcess([Paths.postgresScript, "halt", self.directory])
        try await eventually("PostgreSQL on port \(self.port) refuses connections after the halt") {
            do {
                let connection = try await RawTCP.connect(port: self.port, connectTimeout: .seconds(1))
                try? await connection.close()
                return false
            } catch {
                return true
            }
        }
    }

    /// The TCP port the server listens on (from the URL `scripts/postgres.sh` printed).
    public var port: Int {
        // postgres://user:password@127.0.0.1:PORT/db?…
        let afterHost = self.urlText.split(separator: "@").last.map(String.init) ?? ""
        let hostPort = afterHost.split(separator: "/").first.map(String.init) ?? ""
        return Int(hostPort.split(separator: ":").last ?? "") ?? 0
    }
    /// Starts it again on the same port.
    public func resume() async throws { _ = try await runProcess([Paths.postgresScript, "resume", self.directory]) }
    /// Stops the server and deletes its directory.
    public func stop() async {
        _ = try? await runProcess([Paths.postgresScript, "stop", self.directory])
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
