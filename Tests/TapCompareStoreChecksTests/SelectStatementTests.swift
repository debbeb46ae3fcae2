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
            ("SELECT set_config('x', 'y', false); SET ROLE admin", "second statement"),
            ("", "the query is empty"),
            ("SELECT 'unclosed", "never closed"),
        ]
        for (sql, message) in cases {
            let error = #expect(throws: StoreConfigurationError.self, "\(sql)") { _ = try SelectStatement(validating: sql) }
            #expect(error?.description.contains(message) == true, "\(sql): \(error?.description ?? "")")
        }
    }
}
