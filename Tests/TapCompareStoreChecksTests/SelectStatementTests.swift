import TapCompareStoreChecks
import Testing

@Suite("store check SQL is one read-only SELECT")
struct SelectStatementTests {
    @Test("selects, CTEs, literals, comments and dollar quotes that merely mention writes are accepted")
    func accepted() throws {
        for sql in [
            "SELECT * FROM comments WHERE id = $1",
            "select id, body from comments where id = ?;",
            "WITH c AS (SELECT * FROM comments) SELECT * FROM c WHERE id = $1",
            "SELECT replace(body, 'DELETE', '') AS body, 'INSERT INTO x' AS note FROM comments -- UPDATE later\nWHERE id = $1",
            "SELECT $tag$ DROP TABLE comments; $tag$ AS text, \"update\" FROM comments /* ; DELETE */ WHERE id = $1",
            "SELECT comment, xmin FROM comments WHERE id = $1",
        ] {
            #expect(throws: Never.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
        }
    }

    @Test("writes, locks, a second statement and session changes are refused with their position")
    func refused() {
        let cases: [(String, String)] = [
            ("DELETE FROM comments", "starts with 'DELETE' at character 1"),
            ("  update comments set body = ''", "starts with 'update' at character 3"),
            ("SELECT 1; SELECT 2", "second statement after ';' at character 9"),
            ("SELECT * FROM comments FOR UPDATE", "'UPDATE' at character 28"),
            ("SELECT * FROM comments FOR SHARE", "'SHARE' at character 28"),
            ("SELECT * INTO backup FROM comments", "'INTO' at character 10"),
            ("WITH gone AS (DELETE FROM comments RETURNING *) SELECT * FROM gone", "'DELETE' at character 15"),
            ("SELECT current_setting('x'); SET ROLE admin", "second statement"),
            ("", "the query is empty"),
            ("SELECT 'unclosed", "never closed"),
        ]
        for (sql, message) in cases {
            let error = #expect(throws: StoreConfigurationError.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
            #expect(error?.description.contains(message) == true, "\(sql): \(error?.description ?? "")")
        }
    }

    /// Found in review: the keywords were checked, function calls were not, so a check could switch its pooled
    /// session to read-write (`set_config`), keep a lock on it for good (`pg_advisory_lock`) or act on the server.
    @Test("functions that act outside the check's transaction are refused by name, however the call is written")
    func refusedFunctions() {
        let cases: [(String, String)] = [
            ("SELECT set_config('default_transaction_read_only', 'off', false)", "'set_config(' at character 8 changes the session's settings"),
            ("SELECT pg_advisory_lock(id) FROM t WHERE id = $1", "'pg_advisory_lock(' at character 8 takes or releases an advisory lock"),
            ("SELECT pg_advisory_lock_shared(1)", "'pg_advisory_lock_shared('"),
            ("SELECT pg_try_advisory_lock(1)", "'pg_try_advisory_lock('"),
            ("SELECT pg_try_advisory_xact_lock_shared(1)", "'pg_try_advisory_xact_lock_shared('"),
            ("SELECT pg_advisory_xact_lock(1)", "'pg_advisory_xact_lock('"),
            ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "'pg_terminate_backend(' at character 8 acts on the server or on other sessions"),
            ("SELECT pg_cancel_backend(1)", "'pg_cancel_backend('"),
            ("SELECT pg_notify('c', 'x')", "'pg_notify(' at character 8 notifies other sessions"),
            ("SELECT pg_reload_conf()", "'pg_reload_conf('"),
            ("SELECT pg_rotate_logfile()", "'pg_rotate_logfile('"),
            ("SELECT pg_promote()", "'pg_promote('"),
            ("SELECT lo_import('/etc/passwd')", "'lo_import(' at character 8 reads or writes large objects"),
            ("SELECT lo_unlink(16384)", "'lo_unlink('"),
            ("SELECT * FROM dblink('dbname=x', 'DELETE FROM t') AS r(x int)", "'dblink(' at character 15 opens a connection of its own"),
            ("SELECT dblink_exec('dbname=x', 'DELETE FROM t')", "'dblink_exec('"),
            ("SELECT pg_sleep(5)", "'pg_sleep(' at character 8 holds the connection on purpose"),
            ("SELECT pg_sleep_for('5 minutes')", "'pg_sleep_for('"),
            ("SELECT pg_read_file('postgresql.conf')", "'pg_read_file(' at character 8 reads the server's files"),
            ("SELECT pg_read_binary_file('x')", "'pg_read_binary_file('"),
            ("SELECT pg_ls_dir('.')", "'pg_ls_dir('"),
            ("SELECT query_to_xml('SELECT pg_advisory_lock(1)', true, false, '')", "'query_to_xml(' at character 8 runs SQL from a string"),
            // However it is written: any case, schema-qualified, a comment before the parenthesis, a quoted name.
            ("SELECT PG_ADVISORY_LOCK(1)", "'PG_ADVISORY_LOCK('"),
            ("SELECT pg_catalog.set_config('a.b', 'c', false)", "'set_config(' at character 19"),
            ("SELECT pg_sleep /* why not */ (1)", "'pg_sleep('"),
            ("SELECT pg_sleep\n  -- later\n  (1)", "'pg_sleep('"),
            ("SELECT \"set_config\"('a.b', 'c', false)", "'set_config(' at character 8"),
            ("SELECT \"pg_catalog\".\"pg_advisory_lock\"(1)", "'pg_advisory_lock(' at character 21"),
        ]
        for (sql, message) in cases {
            let error = #expect(throws: StoreConfigurationError.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
            #expect(error?.description.contains(message) == true, "\(sql): \(error?.description ?? "")")
            #expect(error?.description.contains("a store check only reads") == true, "\(sql): \(error?.description ?? "")")
        }
    }

    @Test("the same names as columns, in literals or in comments are not calls, and are accepted")
    func namesThatAreNotCalls() throws {
        for sql in [
            "SELECT lo_price, dblink_id, pg_sleep_budget FROM t WHERE id = $1",
            "SELECT 'pg_advisory_lock(1)' AS note, $$set_config('a', 'b', false)$$ AS other FROM t -- pg_sleep(5)\nWHERE id = $1",
            "SELECT current_setting('default_transaction_read_only'), pg_advisory_locks_held FROM t /* lo_unlink(1) */ WHERE id = $1",
        ] {
            #expect(throws: Never.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
        }
    }

    /// Each of these read a literal or a comment as longer than PostgreSQL does, so the words after it, `FOR
    /// UPDATE` here, went unchecked.
    @Test("escape strings, $ inside names, nested comments and quoted names end where PostgreSQL ends them")
    func literalsEndWherePostgresEndsThem() {
        let cases: [(String, String)] = [
            // E'\'' is one quote to PostgreSQL; read as '\' and an opening quote, it hid the rest of the query.
            ("SELECT E'\\'' AS q, id FROM t FOR UPDATE --'", "\\' at character 10 inside an E'…' string: write '' for a quote"),
            ("SELECT e'a\\\\b' AS q,\n'x' AS r, id FROM t FOR UPDATE", "'UPDATE' at character"),
            ("SELECT E'a'\n'\\'' AS q, id FROM t FOR UPDATE --'", "\\' at character 14 inside an E'…' string"),
            // a$q$ is a name (PostgreSQL names take $ after their first character), not `a` and a $q$ quote.
            ("SELECT 1 AS a$q$, id FROM t FOR UPDATE -- b$q$", "'UPDATE' at character 33"),
            // PostgreSQL nests /* */: the comment below ends at the second */, and the quote after it is real.
            ("SELECT id /* /* */ ' */ FROM t FOR UPDATE --'", "a /* comment inside a /* comment at character 14"),
            ("SELECT U&\"set\\005fconfig\"('a.b', 'c', false)", "U&\"…\" identifier at character 8"),
        ]
        for (sql, message) in cases {
            let error = #expect(throws: StoreConfigurationError.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
            #expect(error?.description.contains(message) == true, "\(sql): \(error?.description ?? "")")
        }
        for sql in [
            "SELECT E'it''s a \\\\ and a \\n' AS q, price$usd, \"for update\" FROM t WHERE id = $1",
            "SELECT $q$ FOR UPDATE $q$ AS q, $1::int AS p, x$ FROM t WHERE id = $1",
            "SELECT some'x' AS typed, id FROM t /* one */ /* two */ WHERE id = $1",
        ] {
            #expect(throws: Never.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
        }
    }

    /// Found in review: SQLite reads `[name]` as a quoted name and the check did not, so a `;` or a quote inside one
    /// was read as a statement's end or a literal's start: a legal query was refused, and a write after a
    /// bracketed name was hidden in what the check took for a literal.
    @Test("SQLite's [bracketed] names are names: what they hold is never a keyword, a ';' or a quote, and a write after one is still refused")
    func sqliteBracketedNames() {
        for sql in [
            "SELECT [note; see below], [for update] AS [x] FROM [comments] WHERE id = ?",
            "SELECT [delete], [it's] FROM t WHERE id = ?;",
        ] {
            #expect(throws: Never.self, "\(sql)") { _ = try SelectStatement(validating: sql, dialect: .sqlite) }
        }
        let cases: [(String, String)] = [
            // Read as `[it` and a literal running to the last quote, the DELETE went unseen.
            ("SELECT [it's] FROM t; DELETE FROM t --'", "a second statement after ';' at character 21"),
            ("SELECT [a'b] AS x FROM t FOR UPDATE --'", "'UPDATE' at character 30"),
            ("[SELECT] * FROM t", "the query starts with 'SELECT' at character 1"),
            ("SELECT [set_config]('a.b', 'c', false)", "'set_config(' at character 8"),
            ("SELECT [unclosed FROM t", "a [bracketed] name opened at character 8 is never closed"),
        ]
        for (sql, message) in cases {
            let error = #expect(throws: StoreConfigurationError.self, "\(sql)") { _ = try SelectStatement(validating: sql, dialect: .sqlite) }
            #expect(error?.description.contains(message) == true, "\(sql): \(error?.description ?? "")")
        }
    }

    /// SQLite has no dollar quoting: `$q` is a parameter there, so what PostgreSQL would read as a `$q$ … $q$` text
    /// is SQL that runs.
    @Test("in SQLite, $name is a parameter, not the start of a dollar-quoted text that would hide what follows")
    func sqliteHasNoDollarQuoting() {
        #expect(throws: Never.self) { _ = try SelectStatement(validating: "SELECT body FROM comments WHERE id = $id", dialect: .sqlite) }
        let hidden = "SELECT $q$; DELETE FROM comments; $q$"
        #expect(throws: Never.self, "one dollar-quoted text in PostgreSQL") { _ = try SelectStatement(validating: hidden, dialect: .postgres) }
        let error = #expect(throws: StoreConfigurationError.self) { _ = try SelectStatement(validating: hidden, dialect: .sqlite) }
        #expect(error?.description.contains("a second statement after ';' at character 11") == true, "\(error?.description ?? "")")
    }

    /// In PostgreSQL `[` is an array subscript, whose contents run as any other SQL: read as a name there, a
    /// subquery inside one would hide its writes.
    @Test("in PostgreSQL, [ ] is a subscript whose contents are checked")
    func postgresSubscriptsAreRead() {
        #expect(throws: Never.self) { _ = try SelectStatement(validating: "SELECT tags[1], tags[2:3] FROM t WHERE id = $1", dialect: .postgres) }
        let error = #expect(throws: StoreConfigurationError.self) {
            _ = try SelectStatement(validating: "SELECT tags[(SELECT 1 FROM t FOR UPDATE)] FROM t", dialect: .postgres)
        }
        #expect(error?.description.contains("'UPDATE' at character 34") == true, "\(error?.description ?? "")")
        #expect(throws: StoreConfigurationError.self) { _ = try SelectStatement(validating: "SELECT [note; x] FROM t") }
    }
}
