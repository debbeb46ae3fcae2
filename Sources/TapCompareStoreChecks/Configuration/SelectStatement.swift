/// A store check's SQL, checked at start-up to be one read-only `SELECT`.
///
/// Checks run against production's database as well as the sister one, so a query that could write, lock or
/// run twice is refused before anything connects: one statement (a trailing `;` at most), starting with
/// `SELECT` or `WITH`, none of the keywords that write, lock rows or change the session, and no call to a function
/// that acts outside the check's transaction (``refusedFunctions``), outside string literals, quoted identifiers and
/// comments. PostgreSQL checks also run inside their own read-only transaction that is always rolled back, with a
/// statement timeout, and SQLite ones on a connection set to `query_only`: the check here is what names a mistake at
/// start-up, with its position, and what stops the effects a rollback cannot undo (a session's advisory lock, a
/// signal to another backend, a connection of `dblink`'s own).
public struct SelectStatement: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Whose SQL the query is: the two read a few characters differently, and the check must read the query as the
    /// database that runs it does.
    public enum Dialect: Sendable, Hashable {
        /// `[` is an array subscript, its contents are read as any other text.
        case postgres
        /// `[name]` is a quoted identifier (as `"name"` and `` `name` `` are), up to the first `]`: whatever it holds
        /// (`;`, `FOR UPDATE`, a quote) is part of the name, never a keyword, a statement's end or a literal's start.
        case sqlite
    }

    /// Keywords that write (`INTO` makes `SELECT … INTO` create a table), lock rows (`FOR UPDATE`, `FOR SHARE`), or
    /// change what the session does; refused anywhere in a check's query. Words that are also common column or
    /// function names (`replace`, `comment`) are not listed: the first word decides that a query is a `SELECT`.
    static let refusedKeywords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE",
        "COPY", "CALL", "DO", "LOCK", "VACUUM", "REINDEX", "CLUSTER", "REFRESH", "SET", "RESET", "INTO", "SHARE",
        "NOTIFY", "LISTEN", "PREPARE", "EXECUTE", "DEALLOCATE", "ATTACH", "DETACH", "PRAGMA", "BEGIN", "COMMIT",
        "ROLLBACK", "SAVEPOINT", "DISCARD",
    ]

    /// - Parameter dialect: The SQL of the store the query runs on (a `postgres` or an `sqlite` store). Default
    ///   ``Dialect/postgres``.
    /// - Throws: ``StoreConfigurationError`` naming the offending word and its 1-based character position.
    public init(validating text: String, dialect: Dialect = .postgres) throws(StoreConfigurationError) {
        let tokens = try Self.words(of: text, dialect: dialect)
        guard let first = tokens.first else {
            throw StoreConfigurationError("the query is empty; write one SELECT, e.g. SELECT * FROM comments WHERE id = $1")
        }
        guard !first.isQuoted, first.word == "SELECT" || first.word == "WITH" else {
            throw StoreConfigurationError("the query starts with '\(first.original)' at character \(first.position): a store check runs one SELECT (or WITH … SELECT), never a write")
        }
        for token in tokens {
            if !token.isQuoted, token.word == ";" {
                if token.isLast { continue }
                throw StoreConfigurationError("a second statement after ';' at character \(token.position): a store check runs exactly one SELECT")
            }
            if !token.isQuoted, Self.refusedKeywords.contains(token.word) {
                throw StoreConfigurationError("'\(token.original)' at character \(token.position) can write, lock rows or change the session: a store check only reads")
            }
            if token.isCall, let refused = Self.refusedFunction(named: token.original) {
                throw StoreConfigurationError("'\(token.original)(' at character \(token.position) \(refused.reason): a store check only reads, so write its SELECT without it")
            }
        }
        self.text = text
    }

    public var description: String { self.text }
}
