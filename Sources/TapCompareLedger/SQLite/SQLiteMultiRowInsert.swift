import SQLiteNIO

/// One `INSERT … VALUES (…), (…) ON CONFLICT … DO NOTHING` for many rows, where a column holding the same value in
/// every row is bound once and named by number (`?3`) in each row.
///
/// Every text value SQLite is given is copied twice on the way in (sqlite-nio's C string, SQLite's own copy): at
/// 15,000 comparisons a second that was 23 allocations per row on the store's thread. A batch's rows share most of
/// their values — the instance, usually the outcome and the statuses, often the route — so binding those once
/// saves most of the copies (`tapcompare-bench ledger --discrepancies 0`, bench/results/ledger.md). Placeholders
/// only, never values in the SQL.
struct SQLiteMultiRowInsert: Equatable {
    var sql: String
    var binds: [SQLiteData]

    /// - Parameters:
    ///   - values: the rows' values, row after row, `columns.count` each.
    ///   - conflict: the conflict target, e.g. `(id)`.
    init(table: String, columns: [String], values: [SQLiteData], conflict: String) {
        let width = columns.count
        precondition(width > 0 && values.count % width == 0, "values must hold whole rows")
        let rows = values.count / width
        // The shared columns come first, numbered `?1` to `?k`; every other value is a plain `?`, which SQLite
        // numbers one past the highest so far: `k + 1`, `k + 2`, … in the order the binds follow.
        let shared = (0..<width).filter { column in rows > 1 && (1..<rows).allSatisfy { values[$0 * width + column] == values[column] } }
        let own = (0..<width).filter { !shared.contains($0) }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(shared.count + rows * own.count)
        for column in shared { binds.append(values[column]) }
        for row in 0..<rows {
            for column in own { binds.append(values[row * width + column]) }
        }
        var tuple = "("
        for (i, _) in shared.enumerated() { tuple += i == 0 ? "?1" : ", ?\(i + 1)" }
        for i in own.indices { tuple += i == 0 && shared.isEmpty ? "?" : ", ?" }
        tuple += ")"
        let names = (shared + own).map { columns[$0] }
        var sql = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES "
        sql.reserveCapacity(sql.utf8.count + rows * (tuple.utf8.count + 2) + 40)
        for row in 0..<rows {
            if row > 0 { sql += ", " }
            sql += tuple
        }
        sql += " ON CONFLICT \(conflict) DO NOTHING"
        self.sql = sql
        self.binds = binds
    }
}
