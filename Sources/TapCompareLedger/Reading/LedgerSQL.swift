/// The few places where the two ledger backends spell SQL differently. Everything else in the read queries
/// (``LedgerReader``) is the same text on both.
enum SQLDialect: Sendable, Hashable {
    case postgres
    case sqlite

    /// A table's qualified name: Postgres keeps the ledger in schema `tapcompare`.
    func table(_ name: String) -> String {
        self == .postgres ? "tapcompare.\(name)" : name
    }

    /// A time column as the ledger's ISO-8601 text (`2026-11-22T02:04:33.123Z`), which SQLite stores as is.
    func timeText(_ column: String) -> String {
        switch self {
        case .postgres: return "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        case .sqlite: return column
        }
    }

    /// `sum(expression)` as an integer (Postgres sums `bigint` columns as `numeric`).
    func sum(_ expression: String) -> String {
        self == .postgres ? "sum(\(expression))::int8" : "sum(\(expression))"
    }

    /// The rollups' latency bucket of a milliseconds column (``LatencyBuckets``): an expression on Postgres, the
    /// function ``SQLiteReadDatabase`` installs on SQLite.
    func latencyBucket(_ column: String) -> String {
        switch self {
        case .postgres: return LatencyBuckets.postgresExpression(column)
        case .sqlite: return "\(LatencyBuckets.sqliteFunctionName)(\(column))"
        }
    }

    /// A uuid column as lower-case text.
    func uuidText(_ column: String) -> String {
        self == .postgres ? "\(column)::text" : column
    }

    /// A JSON column as JSON text.
    func jsonText(_ column: String) -> String {
        self == .postgres ? "\(column)::text" : column
    }

    /// Milliseconds since the Unix epoch of a time column, as a floating-point number.
    func epochMilliseconds(_ column: String) -> String {
        switch self {
        // date_part is double precision; extract() is numeric since PostgreSQL 14, several times slower per row.
        case .postgres: return "(date_part('epoch', \(column)) * 1000)"
        case .sqlite: return "((julianday(\(column)) - 2440587.5) * 86400000.0)"
        }
    }
}

/// Builds a statement's text and its bind list together, so a value can only enter SQL as a placeholder.
struct SQLBuilder {
    let dialect: SQLDialect
    private(set) var sql = ""
    private(set) var binds: [LedgerReadValue] = []

    init(_ dialect: SQLDialect) { self.dialect = dialect }

    /// A statement whose placeholders were already numbered (wrapping a built statement in an outer query).
    init(_ dialect: SQLDialect, sql: String, binds: [LedgerReadValue]) {
        self.dialect = dialect
        self.sql = sql
        self.binds = binds
    }

    mutating func append(_ text: String) { self.sql += text }

    /// Appends a placeholder for `value` (`$n` on Postgres, `?n` on SQLite) and returns nothing else.
    mutating func bind(_ value: LedgerReadValue) {
        self.binds.append(value)
        self.sql += (self.dialect == .postgres ? "$" : "?") + String(self.binds.count)
    }

    /// Appends placeholders for `values`, separated by `, `.
    mutating func bindList(_ values: [LedgerReadValue]) {
        for (i, value) in values.enumerated() {
            if i > 0 { self.sql += ", " }
            self.bind(value)
        }
    }
}
