import Foundation
import Logging
import PostgresNIO
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// The Postgres the test script started (`scripts/postgres.sh start DIR` → `TAPCOMPARE_TEST_POSTGRES_URL`).
///
/// Without it, Postgres suites are skipped visibly in a local run; with `CI` set they run anyway and fail, so CI
/// can never pass by skipping them.
enum TestPostgres {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var baseURLText: String? { environment["TAPCOMPARE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var isCI: Bool {
        guard let ci = environment["CI"] else { return false }
        return !ci.isEmpty && ci != "0" && ci.lowercased() != "false"
    }
    static var enabled: Bool { baseURLText != nil || isCI }
    static let skipReason: Comment = "TAPCOMPARE_TEST_POSTGRES_URL is not set (scripts/postgres.sh start DIR prints it)"

    static func baseURL() throws -> LedgerURL {
        guard let text = baseURLText else {
            throw TestSetupError("CI is set but TAPCOMPARE_TEST_POSTGRES_URL is not: start Postgres with scripts/postgres.sh start DIR and export the URL it prints")
        }
        return try LedgerURL(parsing: text)
    }

    /// A new, empty database on the test server, so tests running in parallel never see each other's rows.
    static func freshDatabase() async throws -> LedgerURL {
        let base = try Self.baseURL()
        guard case .postgres(var postgres) = base.backend else { throw TestSetupError("TAPCOMPARE_TEST_POSTGRES_URL is not a postgres:// URL") }
        let name = "tc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await LedgerStores.withStore(url: base, logger: Logger.test) { store in
            let pg = try #require(store as? PostgresLedgerStore)
            try await pg.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        postgres.database = String(name)
        return LedgerURL(backend: .postgres(postgres))
    }
}

extension PostgresCluster {
    /// The cluster's URL as the ledger reads it.
    var url: LedgerURL {
        get throws { try LedgerURL(parsing: self.urlText) }
    }
}

extension Logger {
    static var test: Logger {
        var logger = Logger(label: "tapcompare.ledger.test")
        logger.logLevel = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }
}
