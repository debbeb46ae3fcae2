import SQLiteNIO
import Testing
@testable import TapCompareLedger

/// The SQLite store's multi-row insert binds a value the rows share once: the statement must still say, row by
/// row, exactly the values given.
@Suite("SQLite multi-row insert")
struct SQLiteMultiRowInsertTests {
    @Test("a column with one value in every row is bound once, listed first and named by number in each row")
    func sharedColumns() {
        let insert = SQLiteMultiRowInsert(
            table: "t", columns: ["id", "route", "n"],
            values: [.text("a"), .text("GET /x"), .integer(0), .text("b"), .text("GET /x"), .integer(1), .text("c"), .text("GET /x"), .integer(0)],
            conflict: "(id)"
        )
        #expect(insert.sql == "INSERT INTO t (route, id, n) VALUES (?1, ?, ?), (?1, ?, ?), (?1, ?, ?) ON CONFLICT (id) DO NOTHING")
        #expect(insert.binds == [.text("GET /x"), .text("a"), .integer(0), .text("b"), .integer(1), .text("c"), .integer(0)])
    }

    @Test("one row binds every value in order; NULLs shared like any value")
    func oneRowAndNulls() {
        let one = SQLiteMultiRowInsert(table: "t", columns: ["a", "b"], values: [.null, .text("x")], conflict: "(a)")
        #expect(one.sql == "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO NOTHING")
        #expect(one.binds == [.null, .text("x")])
        let two = SQLiteMultiRowInsert(table: "t", columns: ["a", "b"], values: [.null, .text("x"), .null, .text("y")], conflict: "(a)")
        #expect(two.sql == "INSERT INTO t (a, b) VALUES (?1, ?), (?1, ?) ON CONFLICT (a) DO NOTHING")
        #expect(two.binds == [.null, .text("x"), .text("y")])
    }

    @Test("rows read back from a real SQLite database exactly as given")
    func roundTrip() async throws {
        let connection = try await SQLiteConnection.open(storage: .memory)
        defer { Task { try await connection.close() } }
        _ = try await connection.query("CREATE TABLE t (id TEXT PRIMARY KEY, route TEXT, n INTEGER, note TEXT)")
        var values: [SQLiteData] = []
        for i in 0..<500 {
            values += [.text("id-\(i)"), .text(i < 499 ? "GET /same" : "GET /other"), .integer(i % 3 == 0 ? 7 : i), i % 2 == 0 ? .null : .text("n\(i)")]
        }
        let insert = SQLiteMultiRowInsert(table: "t", columns: ["id", "route", "n", "note"], values: values, conflict: "(id)")
        _ = try await connection.query(insert.sql, insert.binds)
        let rows = try await connection.query("SELECT id, route, n, note FROM t ORDER BY rowid")
        #expect(rows.count == 500)
        for (i, row) in rows.enumerated() {
            #expect(row.column("id") == .text("id-\(i)"))
            #expect(row.column("route") == values[i * 4 + 1])
            #expect(row.column("n") == values[i * 4 + 2])
            #expect(row.column("note") == values[i * 4 + 3])
        }
    }
}
