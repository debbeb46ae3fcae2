import Foundation
import Logging
import PostgresNIO
import TapCompareCore
import TapCompareJSON
import TapCompareLedger

/// Reads one side's PostgreSQL with the check's `SELECT`, in its own read-only transaction that is always rolled
/// back, with a statement timeout.
///
/// Each read leases one connection and runs `BEGIN TRANSACTION READ ONLY`, the check, `ROLLBACK`: whatever the
/// check's query did to the session (`set_config(…, false)` turning `default_transaction_read_only` off, a
/// `statement_timeout` of 0, a transaction's advisory lock) is undone before the connection goes back to the pool,
/// so no check can open the way for a later one to write. A session default alone (`default_transaction_read_only`
/// at connect) was one round trip instead of three, and a check that switched it off left the pooled session
/// read-write. The defaults stay as startup parameters: `statement_timeout` is the check's timeout on the server,
/// `default_transaction_read_only` a second guard, and `standard_conforming_strings=on` makes a backslash in a
/// plain literal a backslash, as ``SelectStatement`` reads it, whatever the database's own setting.
/// What a rollback cannot undo (a session's advisory lock, a signal to another backend) is refused at start-up by
/// ``SelectStatement``; a session's advisory lock taken where it cannot see (inside a user's function) is released
/// after the rollback (`pg_advisory_unlock_all()`, a fourth round trip).
///
/// PostgreSQL itself turns each row into JSON (`row_to_json` over the check's query): numerics keep their exact
/// text, timestamps are ISO 8601 with their offset (RFC 3339), `json`/`jsonb` columns nest, arrays stay arrays,
/// `bytea` as base64 text.
final class PostgresStoreReader: StoreSideReader {
    let client: PostgresClient
    /// A server refusing connections is `connect_failed` at once (the pool would hold the read past its timeout,
    /// which then recorded it as `timeout`).
    let reachability: PostgresReachability
    let logger: Logger
    /// Rows beyond this are an error: a check reads a record, not a table.
    static let maxRows = 1_000

    /// - Throws: ``StoreConfigurationError`` for a connection string that is not a `postgres://` URL this reader
    ///   can use (see ``connection(parsing:)``).
    init(url: String, maxConnections: Int, timeout: Duration, logger: Logger) throws(StoreConfigurationError) {
        let postgres = try Self.connection(parsing: url)
        var configuration = postgres.clientConfiguration(logger: logger)
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.maximumConnections = maxConnections
        configuration.options.additionalStartupParameters = [
            ("default_transaction_read_only", "on"),
            ("statement_timeout", "\(Self.milliseconds(timeout))"),
            ("standard_conforming_strings", "on"),
        ]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.reachability = PostgresReachability(postgres: postgres, connectTimeout: .seconds(2), logger: logger)
        self.logger = logger
    }

    func run() async {
        await self.client.run()
    }

    func close() async {}

    func read(_ request: StoreReadRequest, timeout: Duration) async throws(StoreReadError) -> StoreReading {
        guard case .query(let statement, let values) = request else {
            throw StoreReadError(reason: "unsupported", message: "a postgres store is read with query:")
        }
        var sql = statement.text.trimmingCharacters(in: .whitespacesAndNewlines)
        while sql.hasSuffix(";") { sql.removeLast() }
        var binds = PostgresBindings()
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .bool(let b): binds.append(b)
            case .number(let n):
                if let integer = Int64(n.text) { binds.append(integer) } else { binds.append(n.doubleValue) }
            case .string(let s): binds.append(s)
            case .array, .object: binds.append(value.serialized())
            }
        }
        // row_to_json keeps PostgreSQL's own typing; the columns themselves come along so `bytea` values, which
        // row_to_json writes as `\x…` hex text, can be given as base64 instead (the same column, by position).
        let wrapped = PostgresQuery(
            unsafeSQL: "SELECT row_to_json(tapcompare_check)::text, tapcompare_check.* FROM (\(sql)) AS tapcompare_check", binds: binds
        )
        let logger = self.logger
        let client = self.client
        let rows: [(json: String, binary: [Int: ByteBuffer?])]
        let reachability = self.reachability
        do {
            rows = try await withReadTimeout(timeout + .seconds(1)) {
                try await reachability.whenReachable({
                    try await client.withConnection { connection in
                        try await Self.rolledBack(on: connection, logger: logger) {
                            var rows: [(json: String, binary: [Int: ByteBuffer?])] = []
                            for try await row in try await connection.query(wrapped, logger: logger) {
                                var json: String?
                                var binary: [Int: ByteBuffer?] = [:]
                                for cell in row {
                                    if cell.columnIndex == 0 {
                                        json = try cell.decode(String.self)
                                    } else if cell.dataType == .bytea {
                                        binary[cell.columnIndex - 1] = cell.bytes
                                    }
                                }
                                rows.append((json ?? "null", binary))
                                if rows.count > Self.maxRows { break }
                            }
                            return rows
                        }
                    }
                }) { refusal in
                    StoreReadError(reason: "connect_failed", message: "PostgreSQL \(refusal.description)")
                }
            }
        } catch let error as StoreReadError {
            throw error
        } catch {
            throw Self.readError(error)
        }
        guard rows.count <= Self.maxRows else {
            throw StoreReadError(reason: "too_many_rows", message: "the query returned more than \(Self.maxRows) rows; a store check reads one record")
        }
        let objects = rows.compactMap { row in (try? JSONParser.parse(row.json)).map { Self.base64(row.binary, in: $0) } }
        switch objects.count {
        case 0: return .missing
        case 1: return .found(objects[0])
        default: return .found(.array(objects))
        }
    }

    /// `body` inside `BEGIN TRANSACTION READ ONLY` … `ROLLBACK` on `connection`, whether `body` returns or throws.
    ///
    /// - Warning: a connection whose `BEGIN` or `ROLLBACK` failed is in a state nobody knows (still in the check's transaction,
    ///   with what the query set): it is closed, so the pool never lends it to another check.
    /// - Throws: `body`'s error first, else the `BEGIN`'s or the `ROLLBACK`'s.
    static func rolledBack<T>(
        on connection: PostgresConnection, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        do {
            try await connection.query("BEGIN TRANSACTION READ ONLY", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        do {
            try await connection.query("ROLLBACK", logger: logger)
            // A session's advisory lock outlives the rollback; one taken inside a user's function (which the
            // start-up check cannot read) would stay on the pooled connection for good.
            try await connection.query("SELECT pg_advisory_unlock_all()", logger: logger)
        } catch {
            try? await connection.close()
            _ = try result.get()
            throw error
        }
        return try result.get()
    }

    /// `row` with its `bytea` columns (by position) as base64 text, as the issue's JSON form of a row has them.
    static func base64(_ binary: [Int: ByteBuffer?], in row: JSONValue) -> JSONValue {
        guard !binary.isEmpty, case .object(let object) = row else { return row }
        var members = object.members
        for (index, bytes) in binary where index < members.count {
            members[index].value = bytes.map { .string(Data($0.readableBytesView).base64EncodedString()) } ?? .null
        }
        return .object(JSONObject(members))
    }

    /// A duration as PostgreSQL's `statement_timeout` (whole milliseconds, at least 1; 0 would mean none).
    static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.milliseconds))
    }

    static func readError(_ error: any Error) -> StoreReadError {
        if let psql = error as? PSQLError {
            if let info = psql.serverInfo {
                let state = info[.sqlState] ?? "?"
                let reason = state == "57014" ? "timeout" : "query_failed"
                return StoreReadError(reason: reason, message: "\(info[.message] ?? "server error") (SQLSTATE \(state))")
            }
            return StoreReadError(reason: "connect_failed", message: "\(psql.code)")
        }
        if String(describing: type(of: error)) == "ConnectionPoolError" {
            return StoreReadError(reason: "connect_failed", message: "could not connect to the server")
        }
        return StoreReadError(reason: "query_failed", message: "\(error)")
    }

    /// The connection parameters of a store's `postgres://` URL, read by the ledger's parser (the same `sslmode` and
    /// `sslrootcert` parameters).
    ///
    /// A URL of another scheme is "not a PostgreSQL URL"; a `postgres://` URL the parser refuses says what it refused
    /// (`sslmode 'bogus' is not supported; use disable, …`, an unknown parameter, a port out of range) in the parser's
    /// words without the ledger's: the store's connection is not the ledger URL.
    /// - Throws: ``StoreConfigurationError`` saying what is wrong and how to write it; never the password.
    static func connection(parsing url: String) throws(StoreConfigurationError) -> LedgerURL.Postgres {
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        let notPostgres = StoreConfigurationError("'\(Self.redacted(trimmed))' is not a PostgreSQL URL; write postgres://user:password@host:5432/database")
        guard trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") else { throw notPostgres }
        let parsed: LedgerURL
        do {
            parsed = try LedgerURL(parsing: trimmed)
        } catch {
            throw StoreConfigurationError(error.detail)
        }
        guard case .postgres(let postgres) = parsed.backend else { throw notPostgres }
        return postgres
    }

    /// The URL with whatever stands before its host (user and password) replaced by `***`, scheme or no scheme.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        var start = url.range(of: "://")?.upperBound ?? url.startIndex
        if start > at { start = url.startIndex }
        return String(url[..<start]) + "***" + String(url[at...])
    }
}
