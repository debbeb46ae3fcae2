import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle
import TapCompareCore

/// The read side of a Postgres ledger: a small `PostgresClient` pool of its own, so the report's aggregate
/// queries run side by side and never take a connection from the proxy's writer.
final class PostgresReadDatabase: LedgerReadDatabase {
    let dialect = SQLDialect.postgres
    let allowsConcurrentQueries = true
    let url: LedgerURL
    private let client: PostgresClient
    /// Fails a query at once while the server refuses connections (the pool would hold it for a minute).
    private let reachability: PostgresReachability
    private let logger: Logger
    /// Set when ``run()`` starts the pool: a query issued before waits for it instead of making PostgresNIO warn.
    private let running = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - postgres: Connection parameters; TLS and the rest as ``LedgerURL/Postgres/clientConfiguration(logger:)``
    ///     sets them for the writer (one ``PostgresTLS`` policy for both).
    init(postgres: LedgerURL.Postgres, url: LedgerURL, logger: Logger) {
        self.url = url
        self.logger = logger
        var configuration = postgres.clientConfiguration(logger: logger)
        configuration.options.connectTimeout = .seconds(5)
        // Four: the report runs its three aggregate queries at once, the UI a few requests at once.
        configuration.options.maximumConnections = 4
        // The report's aggregates sort and hash up to a million rows; with the server default (4 MB) the
        // percentile sorts spill to disk. 64 MB per reader connection (at most four) keeps them in memory.
        configuration.options.additionalStartupParameters = [("work_mem", "64MB")]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.reachability = PostgresReachability(postgres: postgres, connectTimeout: .seconds(5), logger: logger)
    }

    /// Runs the connection pool until cancelled.
    func run() async throws {
        self.running.withLockedValue { $0 = true }
        await self.client.run()
    }

    func query(_ sql: String, _ binds: [LedgerReadValue]) async throws -> [LedgerReadRow] {
        // Commands start the pool and query at once; give run() its first turn (bounded: 5 s).
        var waited = 0
        while !self.running.withLockedValue({ $0 }) && waited < 5000 {
            try await Task.sleep(for: .milliseconds(1))
            waited += 1
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let v): bindings.append(v)
            case .double(let v): bindings.append(v)
            case .text(let s): bindings.append(s)
            case .time(let d): bindings.append(d)
            case .uuid(let u): bindings.append(u)
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await self.reachability.whenReachable(ledger: self.url) {
            do {
                let rows = try await self.client.query(query, logger: self.logger)
                var result: [LedgerReadRow] = []
                for try await row in rows {
                    var values: [LedgerReadValue] = []
                    values.reserveCapacity(8)
                    for cell in row {
                        values.append(try Self.value(of: cell))
                    }
                    result.append(LedgerReadRow(values))
                }
                return result
            } catch {
                throw LedgerError.queryFailed("postgres ledger \(self.url): \(PostgresLedgerStore.describe(error))", underlying: error)
            }
        }
    }

    static func value(of cell: PostgresCell) throws -> LedgerReadValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return .int(try cell.decode(Int.self))
        case .float4, .float8:
            return .double(try cell.decode(Double.self))
        case .numeric:
            return .double(Double(try cell.decode(String.self)) ?? .nan)
        case .bool:
            return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .uuid:
            return .text(try cell.decode(UUID.self).lowercasedText)
        case .timestamptz:
            // Queries format times with `to_char` (millisecond text); a raw column keeps its microseconds.
            return .time(try cell.decode(Date.self))
        default:
            return .text(try cell.decode(String.self))
        }
    }
}
