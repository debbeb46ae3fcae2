import Foundation
import Logging
import PostgresNIO
import TapCompareJSON
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareStoreChecks

/// The PostgreSQL reader against the real server `scripts/test.sh` starts: rows become typed JSON, and a check
/// can never write, even through a function in a SELECT.
@Suite(
    "PostgreSQL store reader",
    .enabled(if: ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_POSTGRES_URL"] != nil || ProcessInfo.processInfo.environment["CI"] != nil,
             "TAPCOMPARE_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)"),
    .timeLimit(.minutes(TestTiming.minutes(1)))
)
struct PostgresStoreReaderTests {
    static let url: String? = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_POSTGRES_URL"]

    /// A table of its own in the suite's database, created and filled through PostgresNIO directly. The reader's
    /// timeout defaults to the suite's ``TestTiming/eventWait``: where it is not what a test checks, it only guards
    /// against a hang, and a full run on 2 cores can hold a query past a few seconds.
    func withTable(statementTimeout: Duration = TestTiming.eventWait, _ body: (PostgresStoreReader, String) async throws -> Void) async throws {
        let urlText = try #require(Self.url, "TAPCOMPARE_TEST_POSTGRES_URL")
        guard case .postgres(let postgres) = try LedgerURL(parsing: urlText).backend else { throw TestSetupError("not a postgres URL") }
        // Schema-qualified: the suite's database is shared with suites that create the `tapcompare` schema, which
        // `$user` in the default search_path then names; unqualified, the table could land in `public` and its
        // sequence, made a moment later, in `tapcompare` ("sequence must be in same schema as table").
        let table = "public.store_check_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let logger = Logger(label: "test")
        let admin = PostgresClient(configuration: postgres.clientConfiguration(logger: logger), backgroundLogger: logger)
        let reader = try PostgresStoreReader(url: urlText, maxConnections: 2, timeout: statementTimeout, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            group.addTask { await reader.run() }
            defer { group.cancelAll() }
            // PSQLError's description hides the server's message: a failure here says which step and why.
            func setUp(_ step: String, _ sql: String) async throws {
                do {
                    try await admin.query(PostgresQuery(unsafeSQL: sql))
                } catch {
                    throw TestSetupError("\(step) of \(table) failed: \(String(reflecting: error))")
                }
            }
            try await setUp("CREATE TABLE", """
                CREATE TABLE \(table) (id bigint PRIMARY KEY, body text, score numeric, ratio double precision, big bigint,
                    created_at timestamptz, meta jsonb, tags text[], raw bytea, flag boolean, updated_at integer)
                """)
            try await setUp("CREATE SEQUENCE", "CREATE SEQUENCE \(table)_seq OWNED BY \(table).id")
            try await setUp("INSERT", """
                INSERT INTO \(table) VALUES (1, 'hello  ', 12345678901234567890.125, 0.1, 9007199254740993,
                    '2026-12-04 12:00:00.5+00', '{"a": {"b": [1, 2.50]}}', '{x,y}', '\\x0102ff', true, 1)
                """)
            do {
                try await body(reader, table)
            } catch {
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
                throw error
            }
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
        }
    }

    @Test("a row becomes an object keyed by column: exact numerics, RFC 3339 times, nested jsonb, arrays, bytea as base64")
    func typedRow() async throws {
        try await self.withTable { reader, table in
            let statement = try SelectStatement(validating: "SELECT * FROM \(table) WHERE id = $1")
            let reading = try await reader.read(.query(statement, binds: [.integer(1)]), timeout: TestTiming.eventWait)
            guard case .found(let row) = reading else { Issue.record("no row: \(reading)"); return }
            #expect(row.value(at: JSONPointer(tokens: ["body"])) == .string("hello  "))
            #expect(row.value(at: JSONPointer(tokens: ["score"]))?.numberValue?.text == "12345678901234567890.125", "numeric keeps every digit")
            #expect(row.value(at: JSONPointer(tokens: ["big"]))?.numberValue?.text == "9007199254740993", "bigint beyond 2^53 stays exact")
            #expect(row.value(at: JSONPointer(tokens: ["created_at"]))?.stringValue?.hasPrefix("2026-12-04T12:00:00.5") == true)
            #expect(row.value(at: JSONPointer(tokens: ["meta", "a", "b", "1"]))?.numberValue?.text == "2.50")
            #expect(row.value(at: JSONPointer(tokens: ["tags"])) == .array([.string("x"), .string("y")]))
            #expect(row.value(at: JSONPointer(tokens: ["flag"])) == .bool(true))
            #expect(row.value(at: JSONPointer(tokens: ["raw"])) == .string("AQL/"), "bytea as base64 (0x01 0x02 0xff)")
            guard case .object(let object) = row else { Issue.record("not an object"); return }
            #expect(object.members.map(\.key) == ["id", "body", "score", "ratio", "big", "created_at", "meta", "tags", "raw", "flag", "updated_at"], "column order kept")
            #expect(try await reader.read(.query(statement, binds: [.integer(2)]), timeout: TestTiming.eventWait) == .missing)
        }
    }

    @Test("a check runs read-only: a function that writes is refused by the server, and the row is unchanged")
    func readOnly() async throws {
        // The reader's connections run read-only. The statement timeout is a hang guard here: on a loaded machine
        // a 500 ms one could stop the query before the server refuses its write.
        try await self.withTable(statementTimeout: TestTiming.scaled(.seconds(10))) { reader, table in
            // Passes the start-up check (it is one SELECT) but would write: the read-only session stops it.
            let sneaky = try SelectStatement(validating: "SELECT * FROM \(table), LATERAL (SELECT nextval('\(table)_seq')) s WHERE id = $1")
            let error = await #expect(throws: StoreReadError.self) {
                _ = try await reader.read(.query(sneaky, binds: [.integer(1)]), timeout: TestTiming.scaled(.seconds(10)))
            }
            #expect(error?.reason == "query_failed")
            #expect(error?.message.contains("read-only transaction") == true, "\(error?.message ?? "")")
        }
        // With a 500 ms statement timeout (stores_timeout), a query that sleeps 5 s is stopped by the server.
        try await self.withTable(statementTimeout: .milliseconds(500)) { reader, table in
            let slow = try SelectStatement(validating: "SELECT pg_sleep(5), id FROM \(table) WHERE id = $1")
            let timeout = await #expect(throws: StoreReadError.self) { _ = try await reader.read(.query(slow, binds: [.integer(1)]), timeout: .seconds(3)) }
            #expect(timeout?.reason == "timeout", "the session's statement timeout stops a slow query on the server, before the client gives up")
        }
    }

    /// PostgresNIO's pool holds a query while its connects are refused, past any timeout of ours: the check used to
    /// wait out `stores.timeout` and be recorded as `timeout`, hiding that the sister database was not there.
    @Test("a sister database that refuses connections is connect_failed at once, naming the address, not a timeout")
    func refusedConnections() async throws {
        let port = try await ScriptedUpstream.refusingPort()
        let logger = Logger(label: "test")
        // A timeout longer than the suite's limit: only a read that fails at once ends this test.
        let reader = try PostgresStoreReader(
            url: "postgres://checker:secret@127.0.0.1:\(port)/sister?sslmode=disable", maxConnections: 1, timeout: .seconds(3_600), logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await reader.run() }
            defer { group.cancelAll() }
            let statement = try SelectStatement(validating: "SELECT id FROM comments WHERE id = $1")
            for _ in 0..<2 {
                let error = await #expect(throws: StoreReadError.self) {
                    _ = try await reader.read(.query(statement, binds: [.integer(1)]), timeout: .seconds(3_600))
                }
                #expect(error?.reason == "connect_failed", "\(String(describing: error))")
                #expect(error?.message == "PostgreSQL does not take connections at 127.0.0.1:\(port)")
            }
        }
    }

    /// The pool holds a query through a minute of failed log-ins as well: a check with a wrong password was
    /// recorded as `timeout` (or, past a minute, as "could not connect to the server").
    @Test("a sister database that refuses the log-in is connect_failed at once, in the server's words, without the password")
    func refusedLogIn() async throws {
        let urlText = try #require(Self.url, "TAPCOMPARE_TEST_POSTGRES_URL")
        guard case .postgres(var postgres) = try LedgerURL(parsing: urlText).backend else { throw TestSetupError("not a postgres URL") }
        let wrongPassword = "not-the-password-\(UUID().uuidString.prefix(8))"
        postgres.password = wrongPassword
        let logger = Logger(label: "test")
        // A timeout longer than the suite's limit: only a read that fails at once ends this test.
        let reader = try PostgresStoreReader(
            url: "postgres://\(postgres.username):\(wrongPassword)@\(postgres.host):\(postgres.port)/\(postgres.database)?sslmode=disable",
            maxConnections: 1, timeout: .seconds(3_600), logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await reader.run() }
            defer { group.cancelAll() }
            let statement = try SelectStatement(validating: "SELECT 1 AS one WHERE 1 = $1")
            let error = await #expect(throws: StoreReadError.self) {
                _ = try await reader.read(.query(statement, binds: [.integer(1)]), timeout: .seconds(3_600))
            }
            #expect(error?.reason == "connect_failed", "\(String(describing: error))")
            #expect(
                error?.message == #"PostgreSQL at \#(postgres.host):\#(postgres.port) refused the log-in: password authentication failed for user "\#(postgres.username)" (SQLSTATE 28P01)"#
            )
            #expect(error?.message.contains(wrongPassword) == false)
        }
    }
}
