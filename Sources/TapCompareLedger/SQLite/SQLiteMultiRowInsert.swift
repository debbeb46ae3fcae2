import SQLiteNIO

/// One `INSERT … VALUES (…), (…) ON CONFLICT …` for many rows, where a column holding the same value in
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
    ///   - conflict: the conflict target, e.g. `(id)`: conflicting rows are skipped.
    init(table: String, columns: [String], values: [SQLiteData], conflict: String) {
        self.init(table: table, columns: columns, values: values, onConflict: "ON CONFLICT \(conflict) DO NOTHING")
    }

    /// The hourly rollups' upsert: `keys` identify a row, `sums` are added to what is stored and, with `seen`,
    /// `first_seen`/`last_seen` widened. `values` hold `keys`, `sums` (and the two times) row after row.
    static func upsert(table: String, keys: [String], sums: [String], seen: Bool, values: [SQLiteData]) -> Self {
        var updates = sums.map { "\($0) = \($0) + excluded.\($0)" }
        if seen {
            updates += ["first_seen = min(first_seen, excluded.first_seen)", "last_seen = max(last_seen, excluded.last_seen)"]
        }
        return Self(
            table: table, columns: keys + sums + (seen ? ["first_seen", "last_seen"] : []), values: values,
            onConflict: "ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))"
        )
    }

    /// - Parameter onConflict: the whole clause, e.g. `ON CONFLICT (id) DO NOTHING`.
    init(table: String, columns: [String], values: [SQLiteData], onConflict: String) {
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
        sql += " "
        sql += onConflict
        self.sql = sql
        self.binds = binds
    }
}
