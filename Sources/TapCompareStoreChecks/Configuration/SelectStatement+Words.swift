/// The lexer behind ``SelectStatement``: the words of a query as PostgreSQL (and SQLite) read them.
///
/// A keyword or function name only counts outside string literals, dollar-quoted bodies and comments, so where this
/// lexer thinks a literal ends must be where the server thinks it ends: a literal read as longer than it is hides the
/// words after it from the check. Where PostgreSQL and SQLite read the same text differently (a nested comment,
/// `\'` in an `E'…'` string), the query is refused rather than read one way. What only one of them has is read in
/// that one's ``SelectStatement/Dialect``: SQLite's `[bracketed]` names, where PostgreSQL has array subscripts.
extension SelectStatement {
    struct Word {
        /// Upper-cased keyword or identifier, or ";".
        var word: String
        var original: String
        /// 1-based character position in the query.
        var position: Int
        var isLast = false
        /// A `"quoted"` (or `` `quoted` ``, or in SQLite `[quoted]`) identifier: never a keyword, but it can name a
        /// function.
        var isQuoted = false
        /// Followed by `(` (after blanks and comments): the word names the function called.
        var isCall = false
    }

    /// The bare and quoted words and the semicolons of `text`, skipping literals, dollar-quoted bodies and comments
    /// (where a keyword means nothing).
    /// - Throws: ``StoreConfigurationError`` for a literal or comment never closed, and for text the two databases
    ///   would read differently.
    static func words(of text: String, dialect: Dialect) throws(StoreConfigurationError) -> [Word] {
        var lexer = Lexer(characters: Array(text), dialect: dialect)
        return try lexer.words()
    }

    struct Lexer {
        let characters: [Character]
        let dialect: Dialect
        var i = 0

        /// PostgreSQL's `ident_start`: a letter, `_` or any non-ASCII character (PostgreSQL takes every byte above
        /// 0x7F as part of a name, SQLite too).
        static func startsWord(_ c: Character) -> Bool { c.isLetter || c == "_" || !c.isASCII }
        /// PostgreSQL's `ident_cont`: also digits and `$`, so `a$q$` is one name, not `a` and a `$q$` quote.
        static func continuesWord(_ c: Character) -> Bool { startsWord(c) || c.isNumber || c == "$" }
        /// A dollar-quote tag's characters (`dolq_cont`): no `$`.
        static func continuesTag(_ c: Character) -> Bool { startsWord(c) || c.isNumber }

        func at(_ j: Int) -> Character? { j < characters.count ? characters[j] : nil }

        mutating func words() throws(StoreConfigurationError) -> [Word] {
            var words: [Word] = []
            while i < characters.count {
                let c = characters[i]
                if c.isWhitespace { i += 1; continue }
                if c == "-", at(i + 1) == "-" { skipLineComment(); continue }
                if c == "/", at(i + 1) == "*" { try skipBlockComment(); continue }
                if c == "'" {
                    try skipString(from: i, escapes: false)
                    continue
                }
                if c == "\"" || c == "`" {
                    var word = try quotedIdentifier(closedBy: c)
                    word.isCall = isCall(after: i)
                    words.append(word)
                    continue
                }
                if c == "[", dialect == .sqlite {
                    var word = try bracketedIdentifier()
                    word.isCall = isCall(after: i)
                    words.append(word)
                    continue
                }
                if c == "$" { try skipDollar(); continue }
                if c == ";" {
                    words.append(Word(word: ";", original: ";", position: i + 1))
                    i += 1
                    continue
                }
                if Self.startsWord(c) {
                    let start = i
                    while i < characters.count, Self.continuesWord(characters[i]) { i += 1 }
                    let original = String(characters[start..<i])
                    // E'…' is an escape string (backslash escapes) only when the E starts the word: `some'x'` is
                    // the name `some` and a plain literal.
                    if (original == "E" || original == "e"), at(i) == "'" {
                        try skipString(from: i, escapes: true)
                        continue
                    }
                    // U&"…" spells a name with escapes (`U&"set\005fconfig"`), which no word list can follow.
                    if (original == "U" || original == "u"), at(i) == "&", at(i + 1) == "\"" {
                        throw StoreConfigurationError("a U&\"…\" identifier at character \(start + 1) spells a name with escapes a check cannot follow; write the name plainly")
                    }
                    var word = Word(word: original.uppercased(), original: original, position: start + 1)
                    word.isCall = isCall(after: i)
                    words.append(word)
                    continue
                }
                // Numbers, operators, parentheses, parameters' digits: nothing a check refuses.
                i += 1
            }
            if !words.isEmpty { words[words.count - 1].isLast = true }
            return words
        }

        mutating func skipLineComment() {
            while i < characters.count, characters[i] != "\n" { i += 1 }
        }

        /// PostgreSQL nests `/* */` comments and SQLite does not, so `/* /* */ … */` would end in different places:
        /// a nested opening is refused instead of being read the way one of them reads it.
        mutating func skipBlockComment() throws(StoreConfigurationError) {
            let start = i
            var j = i + 2
            while j + 1 < characters.count {
                if characters[j] == "*", characters[j + 1] == "/" { i = j + 2; return }
                if characters[j] == "/", characters[j + 1] == "*" {
                    throw StoreConfigurationError("a /* comment inside a /* comment at character \(j + 1): PostgreSQL nests them and SQLite does not, so the query would read differently; write comments without nesting")
                }
                j += 1
            }
            throw StoreConfigurationError("a /* comment */ opened at character \(start + 1) is never closed")
        }

        /// A literal from its opening quote at `start`: `''` is a quote inside. With `escapes` (`E'…'`), a backslash
        /// escapes the next character, and the literal goes on after a quote followed by blanks holding a newline
        /// and another quote (PostgreSQL's continuation, still an escape string).
        /// - Throws: for `\'` inside an escape string: PostgreSQL reads it as a quote, SQLite (no `E'…'`) as the end
        ///   of the literal, so one of them would see words the other takes for text; `''` says the same to both.
        mutating func skipString(from start: Int, escapes: Bool) throws(StoreConfigurationError) {
            var j = start + 1
            while j < characters.count {
                let c = characters[j]
                if escapes, c == "\\" {
                    if at(j + 1) == "'" {
                        throw StoreConfigurationError("\\' at character \(j + 1) inside an E'…' string: write '' for a quote there (SQLite, which has no E'…' strings, reads \\' as the end of one)")
                    }
                    j += 2
                    continue
                }
                if c == "'" {
                    if at(j + 1) == "'" { j += 2; continue }
                    i = j + 1
                    if escapes, let next = continuation(after: i) {
                        j = next + 1
                        continue
                    }
                    return
                }
                j += 1
            }
            throw StoreConfigurationError("a quoted text opened at character \(start + 1) is never closed")
        }

        /// The quote that continues an escape string ending at `from`: blanks and `--` comments holding a newline,
        /// then `'` (PostgreSQL's `quotecontinue`).
        func continuation(after from: Int) -> Int? {
            var j = from
            var sawNewline = false
            while j < characters.count {
                let c = characters[j]
                if c == "\n" || c == "\r" { sawNewline = true; j += 1; continue }
                if c.isWhitespace { j += 1; continue }
                if c == "-", at(j + 1) == "-" {
                    while j < characters.count, characters[j] != "\n" { j += 1 }
                    continue
                }
                return c == "'" && sawNewline ? j : nil
            }
            return nil
        }

        /// A `"name"` with `""` for a quote inside; its text, as written, is the word.
        mutating func quotedIdentifier(closedBy quote: Character) throws(StoreConfigurationError) -> Word {
            let start = i
            var name = ""
            var j = i + 1
            while j < characters.count {
                if characters[j] == quote {
                    if at(j + 1) == quote { name.append(quote); j += 2; continue }
                    i = j + 1
                    return Word(word: name.uppercased(), original: name, position: start + 1, isQuoted: true)
                }
                name.append(characters[j])
                j += 1
            }
            throw StoreConfigurationError("a quoted name opened at character \(start + 1) is never closed")
        }

        /// SQLite's `[name]`: everything up to the first `]` is the name (SQLite has no escape for `]` inside one).
        mutating func bracketedIdentifier() throws(StoreConfigurationError) -> Word {
            let start = i
            var j = i + 1
            while j < characters.count {
                if characters[j] == "]" {
                    let name = String(characters[(start + 1)..<j])
                    i = j + 1
                    return Word(word: name.uppercased(), original: name, position: start + 1, isQuoted: true)
                }
                j += 1
            }
            throw StoreConfigurationError("a [bracketed] name opened at character \(start + 1) is never closed")
        }

        /// `$tag$ … $tag$` (PostgreSQL dollar quoting), or a parameter such as `$1`. A `$` inside a name never gets
        /// here: the name's lexing takes it. SQLite has no dollar quoting: there `$name` is a parameter and what
        /// follows it is read as SQL, so `$q$; DELETE …` shows its second statement to the check, as it would run.
        mutating func skipDollar() throws(StoreConfigurationError) {
            let start = i
            var j = i + 1
            if dialect == .sqlite {
                while j < characters.count, Self.continuesTag(characters[j]) { j += 1 }
                i = j
                return
            }
            if let first = at(j), Self.startsWord(first) {
                while j < characters.count, Self.continuesTag(characters[j]) { j += 1 }
            }
            guard at(j) == "$" else {
                // A parameter ($1) or a lone $: the digits are skipped as numbers are.
                i = start + 1
                return
            }
            let tag = Array(characters[start...j])
            var k = j + 1
            while k + tag.count <= characters.count {
                if characters[k] == "$", Array(characters[k..<(k + tag.count)]) == tag {
                    i = k + tag.count
                    return
                }
                k += 1
            }
            throw StoreConfigurationError("a dollar-quoted text opened at character \(start + 1) is never closed")
        }

        /// Whether the next character after `from` that is not blank or inside a comment is `(`.
        func isCall(after from: Int) -> Bool {
            var j = from
            while j < characters.count {
                let c = characters[j]
                if c.isWhitespace { j += 1; continue }
                if c == "-", at(j + 1) == "-" {
                    while j < characters.count, characters[j] != "\n" { j += 1 }
                    continue
                }
                if c == "/", at(j + 1) == "*" {
                    j += 2
                    while j + 1 < characters.count, !(characters[j] == "*" && characters[j + 1] == "/") { j += 1 }
                    j += 2
                    continue
                }
                return c == "("
            }
            return false
        }
    }
}
