/// A store check's SQL, checked at start-up to be one read-only `SELECT`.
///
/// Checks run against production's database as well as the sister one, so a query that could write, lock or
/// run twice is refused before anything connects: one statement (a trailing `;` at most), starting with
/// `SELECT` or `WITH`, and none of the keywords that write, lock rows or change the session, outside string
/// literals, quoted identifiers and comments. Checks also run inside a read-only transaction with a statement
/// timeout (PostgreSQL) or on a connection set to `query_only` (SQLite): the check here is what lets a mistake be
/// named at start-up, with its position, instead of failing on the first write.
public struct SelectStatement: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Keywords that write (`INTO` makes `SELECT … INTO` create a table), lock rows (`FOR UPDATE`, `FOR SHARE`), or
    /// change what the session does; refused anywhere in a check's query. Words that are also common column or
    /// function names (`replace`, `comment`) are not listed: the first word decides that a query is a `SELECT`.
    static let refusedKeywords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE",
        "COPY", "CALL", "DO", "LOCK", "VACUUM", "REINDEX", "CLUSTER", "REFRESH", "SET", "RESET", "INTO", "SHARE",
        "NOTIFY", "LISTEN", "PREPARE", "EXECUTE", "DEALLOCATE", "ATTACH", "DETACH", "PRAGMA", "BEGIN", "COMMIT",
        "ROLLBACK", "SAVEPOINT", "DISCARD",
    ]

    /// - Throws: ``StoreConfigurationError`` naming the offending word and its 1-based character position.
    public init(validating text: String) throws(StoreConfigurationError) {
        let tokens = try Self.words(of: text)
        guard let first = tokens.first else {
            throw StoreConfigurationError("the query is empty; write one SELECT, e.g. SELECT * FROM comments WHERE id = $1")
        }
        guard first.word == "SELECT" || first.word == "WITH" else {
            throw StoreConfigurationError("the query starts with '\(first.original)' at character \(first.position): a store check runs one SELECT (or WITH … SELECT), never a write")
        }
        for token in tokens {
            if token.word == ";" {
                if token.isLast { continue }
                throw StoreConfigurationError("a second statement after ';' at character \(token.position): a store check runs exactly one SELECT")
            }
            if Self.refusedKeywords.contains(token.word) {
                throw StoreConfigurationError("'\(token.original)' at character \(token.position) can write, lock rows or change the session: a store check only reads")
            }
        }
        self.text = text
    }

    public var description: String { self.text }

    struct Word {
        /// Upper-cased keyword or identifier, or ";".
        var word: String
        var original: String
        /// 1-based character position in the query.
        var position: Int
        var isLast = false
    }

    /// The bare words and semicolons of `text`, skipping literals, quoted identifiers, dollar-quoted bodies and
    /// comments (where a keyword means nothing).
    static func words(of text: String) throws(StoreConfigurationError) -> [Word] {
        let characters = Array(text)
        var words: [Word] = []
        var i = 0
        func skip(until terminator: [Character], from start: Int, what: String) throws(StoreConfigurationError) -> Int {
            var j = start
            while j + terminator.count <= characters.count {
                if Array(characters[j..<(j + terminator.count)]) == terminator { return j + terminator.count }
                j += 1
            }
            throw StoreConfigurationError("\(what) opened at character \(start) is never closed")
        }
        while i < characters.count {
            let c = characters[i]
            if c.isWhitespace { i += 1; continue }
            if c == "-", i + 1 < characters.count, characters[i + 1] == "-" {
                while i < characters.count, characters[i] != "\n" { i += 1 }
                continue
            }
            if c == "/", i + 1 < characters.count, characters[i + 1] == "*" {
                i = try skip(until: ["*", "/"], from: i + 2, what: "a /* comment */")
                continue
            }
            if c == "'" || c == "\"" || c == "`" {
                // A doubled quote inside is an escaped quote: skipping to each closing quote in turn handles it.
                i = try skip(until: [c], from: i + 1, what: "a quoted text")
                continue
            }
            if c == "$" {
                // $tag$ … $tag$ (PostgreSQL dollar quoting), or a parameter such as $1.
                var j = i + 1
                while j < characters.count, characters[j].isLetter || characters[j].isNumber || characters[j] == "_" { j += 1 }
                if j < characters.count, characters[j] == "$", i + 1 < characters.count, !characters[i + 1].isNumber {
                    let tag = Array(characters[i...j])
                    i = try skip(until: tag, from: j + 1, what: "a dollar-quoted text")
                } else {
                    i = j
                }
                continue
            }
            if c == ";" {
                words.append(Word(word: ";", original: ";", position: i + 1))
                i += 1
                continue
            }
            if c.isLetter || c == "_" {
                var j = i
                while j < characters.count, characters[j].isLetter || characters[j].isNumber || characters[j] == "_" { j += 1 }
                let original = String(characters[i..<j])
                words.append(Word(word: original.uppercased(), original: original, position: i + 1))
                i = j
                continue
            }
            i += 1
        }
        if !words.isEmpty { words[words.count - 1].isLast = true }
        return words
    }
}
