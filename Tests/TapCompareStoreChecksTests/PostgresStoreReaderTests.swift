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
    /// - Parameters:
    ///   - maxConnections: the reader's pool; 1 makes every check run on the same session.
    ///   - functions: SQL functions of the test's own by name suffix, each `(arguments) RETURNS … AS …`: `"sleep"`
    ///     becomes `<table>_sleep`, dropped with the table. A function's body is out of the start-up check's sight,
    ///     as a user's own functions are.
    func withTable(
        statementTimeout: Duration = TestTiming.eventWait, maxConnections: Int = 2, functions: [String: String] = [:],
        _ body: (PostgresStoreReader, String) async throws -> Void
    ) async throws {
        let urlText = try #require(Self.url, "TAPCOMPARE_TEST_POSTGRES_URL")
        guard case .postgres(let postgres) = try LedgerURL(parsing: urlText).backend else { throw TestSetupError("not a postgres URL") }
        // Schema-qualified: the suite's database is shared with suites that create the `tapcompare` schema, which
        // `$user` in the default search_path then names; unqualified, the table could land in `public` and its
        // sequence, made a moment later, in `tapcompare` ("sequence must be in same schema as table").
        let table = "public.store_check_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let logger = Logger(label: "test")
        let admin = PostgresClient(configuration: postgres.clientConfiguration(logger: logger), backgroundLogger: logger)
        let reader = try PostgresStoreReader(url: urlText, maxConnections: maxConnections, timeout: statementTimeout, logger: logger)
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
            for (suffix, definition) in functions.sorted(by: { $0.key < $1.key }) {
                try await setUp("CREATE FUNCTION", "CREATE FUNCTION \(table)_\(suffix)\(definition)")
            }
            func tearDown() async {
                for suffix in functions.keys { _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP FUNCTION \(table)_\(suffix)")) }
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
            }
            do {
                try await body(reader, table)
            } catch {
                await tearDown()
                throw error
            }
            await tearDown()
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
        // With a 500 ms statement timeout (stores_timeout), a query that sleeps 5 s is stopped by the server
        // (pg_sleep itself is refused at start-up; a function of the user's own can still take its time).
        let sleep = ["sleep": "(double precision) RETURNS void LANGUAGE sql AS $$ SELECT pg_sleep($1) $$"]
        try await self.withTable(statementTimeout: .milliseconds(500), functions: sleep) { reader, table in
            let slow = try SelectStatement(validating: "SELECT \(table)_sleep(5), id FROM \(table) WHERE id = $1")
            let timeout = await #expect(throws: StoreReadError.self) { _ = try await reader.read(.query(slow, binds: [.integer(1)]), timeout: .seconds(3)) }
            #expect(timeout?.reason == "timeout", "the session's statement timeout stops a slow query on the server, before the client gives up")
        }
    }

    /// Found in review: read-only was only the session's default, set at connect, so a check that switched it off
    /// (`set_config('default_transaction_read_only', 'off', false)`, here inside a function, where the start-up check
    /// cannot see it) left its pooled session read-write, and a later check on it could write.
    @Test("a check that turns its session read-write is rolled back: the next check on the same connection still cannot write")
    func sessionChangesAreRolledBack() async throws {
        let unlock = [
            "unlock": """
                () RETURNS text LANGUAGE sql AS $$
                    SELECT set_config('default_transaction_read_only', 'off', false) || set_config('statement_timeout', '0', false)
                $$
                """,
        ]
        try await self.withTable(statementTimeout: TestTiming.scaled(.seconds(10)), maxConnections: 1, functions: unlock) { reader, table in
            let timeout = TestTiming.scaled(.seconds(10))
            let settings = try SelectStatement(validating: """
                SELECT current_setting('default_transaction_read_only') AS read_only, current_setting('statement_timeout') AS statement_timeout
                """)
            let before = try await reader.read(.query(settings, binds: []), timeout: timeout)
            #expect(before.row?.value(at: JSONPointer(tokens: ["read_only"])) == .string("on"))

            let check = try SelectStatement(validating: "SELECT \(table)_unlock() AS changed")
            let changed = try await reader.read(.query(check, binds: []), timeout: timeout)
            #expect(changed.row?.value(at: JSONPointer(tokens: ["changed"])) == .string("off0"), "the function did change both inside the check")

            #expect(try await reader.read(.query(settings, binds: []), timeout: timeout) == before, "the one pooled session is as it was")
            let write = try SelectStatement(validating: "SELECT nextval('\(table)_seq') AS n")
            let error = await #expect(throws: StoreReadError.self) {
                _ = try await reader.read(.query(write, binds: []), timeout: timeout)
            }
            #expect(error?.reason == "query_failed")
            #expect(error?.message.contains("read-only transaction") == true, "\(error?.message ?? "")")
        }
    }

    /// A session's advisory lock outlives any rollback, so a check that takes one kept it on its pooled connection
    /// for good: it is refused before anything connects. A transaction's advisory lock goes with the rollback.
    @Test("an advisory-lock check is refused at start-up; an advisory lock a check takes inside a function, the transaction's or the session's, is gone when it returns")
    func advisoryLocks() async throws {
        let lock = [
            "xact_lock": "(bigint) RETURNS text LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock($1)::text $$",
            // A session's lock taken inside a user's function, where the start-up check cannot see it.
            "session_lock": "(bigint) RETURNS text LANGUAGE sql AS $$ SELECT pg_advisory_lock($1)::text $$",
        ]
        try await self.withTable(statementTimeout: TestTiming.scaled(.seconds(10)), maxConnections: 1, functions: lock) { reader, table in
            let timeout = TestTiming.scaled(.seconds(10))
            let refused = #expect(throws: StoreConfigurationError.self) {
                _ = try SelectStatement(validating: "SELECT pg_advisory_lock(id) FROM \(table) WHERE id = $1")
            }
            #expect(refused?.description.contains("'pg_advisory_lock(' at character 8 takes or releases an advisory lock") == true, "\(refused?.description ?? "")")

            let key = Int.random(in: 1...Int(Int32.max))
            let check = try SelectStatement(validating: "SELECT \(table)_xact_lock($1) AS locked")
            _ = try await reader.read(.query(check, binds: [.integer(key)]), timeout: timeout)
            let held = try SelectStatement(validating: """
                SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid::bigint = $1
                """)
            let reading = try await reader.read(.query(held, binds: [.integer(key)]), timeout: timeout)
            #expect(reading.row?.value(at: JSONPointer(tokens: ["held"])) == .integer(0), "\(reading)")

            let sessionCheck = try SelectStatement(validating: "SELECT \(table)_session_lock($1) AS locked")
            _ = try await reader.read(.query(sessionCheck, binds: [.integer(key + 1)]), timeout: timeout)
            let afterSession = try await reader.read(.query(held, binds: [.integer(key + 1)]), timeout: timeout)
            #expect(afterSession.row?.value(at: JSONPointer(tokens: ["held"])) == .integer(0), "a session's lock is released too: \(afterSession)")
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

extension StoreReading {
    /// The one row a reading found, if it found one.
    var row: JSONValue? {
        guard case .found(let row) = self else { return nil }
        return row
    }
}
