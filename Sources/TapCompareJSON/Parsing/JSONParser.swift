/// A byte-level JSON parser (RFC 8259) producing ``JSONValue`` trees.
///
/// Why our own: on Linux `JSONSerialization` reads `1` and `true` as the same `NSNumber` and rounds numbers to
/// `Double`, which would make a comparison both miss and invent differences. This parser keeps each number's
/// text, rejects everything RFC 8259 rejects (JSONTestSuite `n_` files), never recurses deeper than
/// ``Options/maxDepth``, and works on a borrowed buffer without copying it.
///
/// Decisions on the grammar's implementation-defined corners (JSONTestSuite `i_` files):
/// - invalid UTF-8 and lone UTF-16 surrogates in `\u` escapes are rejected (a Swift `String` cannot carry them,
///   and repairing them would make two different bodies compare equal);
/// - a byte-order mark is rejected (RFC 8259 §8.1: implementations MUST NOT add one);
/// - exponents of more than 9 digits are rejected, so exact comparison never needs big integers;
/// - duplicate keys are accepted and recorded (see ``JSONObject``).
public struct JSONParser {
    /// Parser limits.
    public struct Options: Sendable, Hashable {
        /// The deepest nesting of arrays and objects accepted. Default `512`.
        public var maxDepth: Int
        public init(maxDepth: Int = 512) {
            self.maxDepth = maxDepth
        }
    }

    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index: Int = 0
    let options: Options
    var depth = 0
    var scratch: [UInt8] = []
    /// Children of the containers being parsed. Each container pushes its children here and takes them off in
    /// one exact-size array at its end, so no container array grows by reallocation.
    let valueStack = JSONValueStack()
    let memberStack = JSONMemberStack()
    /// Fingerprints of the keys of the objects being parsed, parallel to ``memberStack``: duplicate keys are
    /// found by comparing integers, and bytes only when two hashes agree.
    var keyHashes: [UInt64] = []
    /// Escaped strings seen so far (conservatively treated as possibly escaped keys).
    var escapedKeys = 0
    /// How many objects of the document repeat a key.
    var objectsWithDuplicateKeys = 0
    /// Whether some object of the document repeats a key.
    var sawDuplicateKeys: Bool { self.objectsWithDuplicateKeys > 0 }
    /// The byte span of every array and object, in document (pre-)order, when this parse records them for a
    /// second document to be parsed against (``parseSimilarDocuments(_:_:options:)``); `nil` otherwise.
    var spans: [ContainerSpan]?
    /// The document this one is parsed against (see ``Guide``); empty when it is parsed on its own.
    var guide = Guide()
    /// Where the own keys of the object being skipped are (``skipValue(endingBefore:ownKeys:)``), kept for reuse.
    var ownKeySpans: [Range<Int>] = []
    /// What the last ``skipValue(endingBefore:ownKeys:)`` found before giving up, kept for reuse.
    var trail = SkipTrail()

    init(bytes: UnsafeRawBufferPointer, options: Options) {
        self.bytes = bytes
        self.options = options
    }

    /// Parses one complete JSON document (surrounding whitespace allowed).
    /// - Throws: ``JSONParseError`` for anything that is not exactly one JSON value.
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = .init()) throws(JSONParseError) -> JSONValue {
        try Self.parseDocument(bytes, options: options).value
    }

    /// Parses one complete JSON document and tells whether any of its objects repeats a key, so a caller
    /// looking for duplicate keys can skip a document that has none without walking it.
    /// - Throws: ``JSONParseError`` for anything that is not exactly one JSON value.
    public static func parseDocument(
        _ bytes: UnsafeRawBufferPointer, options: Options = .init()
    ) throws(JSONParseError) -> (value: JSONValue, hasDuplicateKeys: Bool) {
        var parser = JSONParser(bytes: bytes, options: options)
        return try parser.parseWholeDocument()
    }

    /// Parses the whole buffer as one document; `counterpart` is the guide's document, when there is one.
    mutating func parseWholeDocument(counterpart: JSONValue? = nil) throws(JSONParseError) -> (value: JSONValue, hasDuplicateKeys: Bool) {
        self.skipWhitespace()
        let span: Int
        switch counterpart {
        case .array?, .object?: span = 0
        default: span = -1
        }
        let value = try self.parseValue(counterpart: counterpart, span: span)
        self.skipWhitespace()
        guard self.index == self.bytes.count else {
            throw self.error("unexpected \(self.describeCurrent()) after the document")
        }
        return (value, self.sawDuplicateKeys)
    }

    /// Parses one complete JSON document from bytes.
    public static func parse(_ bytes: some Collection<UInt8>, options: Options = .init()) throws(JSONParseError) -> JSONValue {
        let contiguous: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result<JSONValue, JSONParseError> { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(buffer), options: options)
            }
        }
        if let contiguous { return try contiguous.get() }
        let array = Array(bytes)
        let copied: Result<JSONValue, JSONParseError> = array.withUnsafeBytes { buffer in
            Result<JSONValue, JSONParseError> { () throws(JSONParseError) -> JSONValue in try parse(buffer, options: options) }
        }
        return try copied.get()
    }

    /// Parses one complete JSON document from text.
    public static func parse(_ text: String, options: Options = .init()) throws(JSONParseError) -> JSONValue {
        var copy = text
        let result: Result<JSONValue, JSONParseError> = copy.withUTF8 { buffer in
            Result<JSONValue, JSONParseError> { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(buffer), options: options)
            }
        }
        return try result.get()
    }

    // MARK: - Grammar

    @inline(__always)
    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            let c = self.bytes[self.index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            self.index += 1
        }
    }

    /// Parses the value at ``index``. `counterpart` is the guide's value at the same place and `span` its span
    /// (`-1` when it has none: no guide, no value there, or not a container).
    mutating func parseValue(counterpart: JSONValue? = nil, span: Int = -1) throws(JSONParseError) -> JSONValue {
        guard self.index < self.bytes.count else { throw self.error("unexpected end of input, expected a value") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"):
            if span >= 0, let counterpart, self.skipSameBytes(as: span) { return counterpart }
            return try self.parseObject(counterpart: counterpart, span: span)
        case UInt8(ascii: "["):
            if span >= 0, let counterpart, self.skipSameBytes(as: span) { return counterpart }
            return try self.parseArray(counterpart: counterpart, span: span)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = self.index
            try self.scanNumberEnd()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
            return .number(JSONNumber(uncheckedText: text))
        default:
            throw self.error("unexpected \(self.describeCurrent()), expected a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw self.error("truncated literal, expected '\(literal)'") }
        let p = literal.utf8Start
        for k in 0..<count where self.bytes[self.index + k] != p[k] {
            throw self.error("invalid literal, expected '\(literal)'")
        }
        self.index += count
    }

    mutating func enter() throws(JSONParseError) {
        self.depth += 1
        guard self.depth <= self.options.maxDepth else {
            throw self.error("nesting deeper than \(self.options.maxDepth) arrays and objects")
        }
    }

    mutating func parseArray(counterpart: JSONValue? = nil, span: Int = -1) throws(JSONParseError) -> JSONValue {
        try self.enter()
        let slot = self.openSpan()
        self.index += 1  // [
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            self.closeSpan(slot)
            return .array([])
        }
        let base = self.valueStack.count
        // The guide's elements, met position by position.
        var guided = Guide.Children(span: span)
        if span >= 0, case .array(let elements)? = counterpart { guided.elements = elements }
        while true {
            self.skipWhitespace()
            let (next, nextSpan) = guided.nextElement(self.guide.spans)
            let value = try self.parseValue(counterpart: next, span: nextSpan)
            self.valueStack.push(value)
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("unexpected end of input in an array") }
            let c = self.bytes[self.index]
            self.index += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { break }
            self.index -= 1
            throw self.error("unexpected \(self.describeCurrent()) in an array, expected ',' or ']'")
        }
        self.depth -= 1
        self.closeSpan(slot)
        let elements = self.valueStack.popArray(from: base)
        return .array(elements)
    }

    mutating func parseObject(counterpart: JSONValue? = nil, span: Int = -1) throws(JSONParseError) -> JSONValue {
        try self.enter()
        let slot = self.openSpan()
        self.index += 1  // {
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            self.depth -= 1
            self.closeSpan(slot)
            return .object(JSONObject(members: [], hasDuplicateKeys: false))
        }
        let base = self.memberStack.count
        var duplicate = false
        // The guide's members, met position by position: a member is guided by the guide's member at the same
        // position when it has the same key (the usual case: one serializer's key order against another's).
        var guided = Guide.Children(span: span)
        if span >= 0, case .object(let object)? = counterpart { guided.members = object.members }
        while true {
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                throw self.error("unexpected \(self.describeCurrent()) in an object, expected a quoted key")
            }
            let keyStart = self.index + 1
            let key = try self.parseString()
            let hash = Self.keyFingerprint(UnsafeRawBufferPointer(rebasing: self.bytes[keyStart..<(self.index - 1)]))
            for k in (base..<self.memberStack.count) where self.keyHashes[k] == hash && !duplicate {
                duplicate = self.memberStack[k].key.hasSameBytes(as: key)
            }
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.error("unexpected \(self.describeCurrent()) after a key, expected ':'")
            }
            self.index += 1
            self.skipWhitespace()
            let (next, nextSpan) = guided.nextMember(key, self.guide.spans)
            let value = try self.parseValue(counterpart: next, span: nextSpan)
            // Pushed together after the value, so nested objects see both stacks at the same height.
            self.memberStack.push(JSONObject.Member(key: key, value: value))
            self.keyHashes.append(hash)
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("unexpected end of input in an object") }
            let c = self.bytes[self.index]
            self.index += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { break }
            self.index -= 1
            throw self.error("unexpected \(self.describeCurrent()) in an object, expected ',' or '}'")
        }
        self.depth -= 1
        let members = self.memberStack.popArray(from: base)
        self.keyHashes.removeSubrange(base...)
        // Hashes are of the raw (possibly escaped) key text; two spellings of one key ("a" and "\u0061") hash
        // differently, so an escaped object falls back to comparing the decoded keys.
        if !duplicate && self.sawEscapedKey(members) { duplicate = JSONObject.containsDuplicates(members) }
        if duplicate { self.objectsWithDuplicateKeys += 1 }
        self.closeSpan(slot)
        return .object(JSONObject(members: members, hasDuplicateKeys: duplicate))
    }

    /// Parses a string starting at its opening quote; leaves ``index`` after the closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        self.index += 1  // opening quote
        let start = self.index
        var high: UInt8 = 0
        let count = self.bytes.count
        // Eight bytes at a time while none of them ends the plain run (a quote, a backslash or a control
        // character); the byte loop below takes over at the word that holds one.
        var highBits: UInt64 = 0
        while self.index + 8 <= count {
            let word = self.bytes.loadUnaligned(fromByteOffset: self.index, as: UInt64.self)
            if Self.hasQuoteBackslashOrControl(word) { break }
            highBits |= word
            self.index += 8
        }
        if highBits & 0x8080_8080_8080_8080 != 0 { high = 0x80 }
        while self.index < count {
            let c = self.bytes[self.index]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index])
                self.index += 1
                if high < 0x80 { return String(decoding: raw, as: UTF8.self) }
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                }
                return s
            }
            if c == UInt8(ascii: "\\") { return try self.parseEscapedString(from: start) }
            if c < 0x20 { throw self.error("unescaped control character in a string") }
            high |= c
            self.index += 1
        }
        throw self.error("unterminated string")
    }

    /// The slow path for strings with escapes: decodes into a reused scratch buffer.
    mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        self.escapedKeys += 1
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]))
        let count = self.bytes.count
        while self.index < count {
            let c = self.bytes[self.index]
            if c == UInt8(ascii: "\"") {
                self.index += 1
                guard let s = String(validating: self.scratch, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                }
                return s
            }
            if c < 0x20 { throw self.error("unescaped control character in a string") }
            if c != UInt8(ascii: "\\") {
                self.scratch.append(c)
                self.index += 1
                continue
            }
            guard self.index + 1 < count else { throw self.error("unterminated escape") }
            let e = self.bytes[self.index + 1]
            self.index += 2
            switch e {
            case UInt8(ascii: "\""): self.scratch.append(0x22)
            case UInt8(ascii: "\\"): self.scratch.append(0x5C)
            case UInt8(ascii: "/"): self.scratch.append(0x2F)
            case UInt8(ascii: "b"): self.scratch.append(0x08)
            case UInt8(ascii: "f"): self.scratch.append(0x0C)
            case UInt8(ascii: "n"): self.scratch.append(0x0A)
            case UInt8(ascii: "r"): self.scratch.append(0x0D)
            case UInt8(ascii: "t"): self.scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try self.hex4())
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard self.index + 1 < count, self.bytes[self.index] == UInt8(ascii: "\\"),
                        self.bytes[self.index + 1] == UInt8(ascii: "u")
                    else { throw self.error("lone high surrogate \\u\(String(scalar, radix: 16)) in a string") }
                    self.index += 2
                    let low = UInt32(try self.hex4())
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw self.error("high surrogate not followed by a low surrogate in a string")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw self.error("lone low surrogate \\u\(String(scalar, radix: 16)) in a string")
                }
                self.appendUTF8(scalar)
            default:
                self.index -= 1
                throw self.error("invalid escape '\\\(Self.printable(e))'")
            }
        }
        throw self.error("unterminated string")
    }

    mutating func hex4() throws(JSONParseError) -> UInt16 {
        guard self.index + 4 <= self.bytes.count else { throw self.error("truncated \\u escape") }
        var v: UInt16 = 0
        for _ in 0..<4 {
            let c = self.bytes[self.index]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw self.error("invalid hex digit in a \\u escape")
            }
            v = v << 4 | UInt16(d)
            self.index += 1
        }
        return v
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            self.scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            self.scratch.append(UInt8(0xC0 | (scalar >> 6)))
            self.scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            self.scratch.append(UInt8(0xE0 | (scalar >> 12)))
            self.scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            self.scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            self.scratch.append(UInt8(0xF0 | (scalar >> 18)))
            self.scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            self.scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            self.scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Scans `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,9})?` and leaves ``index`` after it.
    mutating func scanNumberEnd() throws(JSONParseError) {
        let count = self.bytes.count
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < count, Self.isDigit(self.bytes[self.index]) else { throw self.error("a number needs digits") }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
            if self.index < count, Self.isDigit(self.bytes[self.index]) {
                throw self.error("leading zeros are not allowed in a number")
            }
        } else {
            while self.index < count, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            guard self.index < count, Self.isDigit(self.bytes[self.index]) else {
                throw self.error("a number needs digits after '.'")
            }
            while self.index < count, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.index += 1
            if self.index < count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            let digitsStart = self.index
            while self.index < count, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
            guard self.index > digitsStart else { throw self.error("a number needs digits in its exponent") }
            // Leading zeros in an exponent are legal; only significant digits count toward the bound.
            var significant = digitsStart
            while significant < self.index - 1, self.bytes[significant] == UInt8(ascii: "0") { significant += 1 }
            guard self.index - significant <= 9 else {
                throw self.error("number exponent out of range (more than 9 digits)")
            }
        }
    }

    /// Whether some key was written with an escape (its decoded form may equal another key's raw form).
    func sawEscapedKey(_ members: [JSONObject.Member]) -> Bool { self.escapedKeys > 0 && members.count > 1 }

    /// A cheap key fingerprint (length and up to the first and last eight bytes): equal keys always agree,
    /// and distinct keys of one object rarely do; agreement is confirmed by comparing bytes.
    @inline(__always)
    static func keyFingerprint(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        var head: UInt64 = 0
        var tail: UInt64 = 0
        if n >= 8 {
            head = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            tail = bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else {
            for i in 0..<n { head = head << 8 | UInt64(bytes[i]) }
        }
        return (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &+ UInt64(n))
    }

    /// Whether any byte of `word` is `"`, `\\` or below 0x20. Exact for "any" (SWAR: a byte equal to `x` is a
    /// zero byte of `word ^ x`, and `(v - 0x01…) & ~v & 0x80…` is non-zero exactly when some byte of `v` is zero;
    /// `(v - 0x20…) & ~v & 0x80…` likewise when some byte is below 0x20).
    @inline(__always)
    static func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let anyQuote = (quote &- ones) & ~quote
        let anyBackslash = (backslash &- ones) & ~backslash
        let anyControl = (word &- ones &* 0x20) & ~word
        return (anyQuote | anyBackslash | anyControl) & highs != 0
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: self.index, reason: reason) }

    func describeCurrent() -> String {
        guard self.index < self.bytes.count else { return "end of input" }
        return "character '\(Self.printable(self.bytes[self.index]))'"
    }

    static func printable(_ c: UInt8) -> String {
        if c >= 0x20 && c < 0x7F { return String(UnicodeScalar(c)) }
        return "\\x" + (c < 16 ? "0" : "") + String(c, radix: 16)
    }
}

extension JSONValue {
    /// Parses a complete JSON document. See ``JSONParser``.
    public init(parsing bytes: some Collection<UInt8>, options: JSONParser.Options = .init()) throws(JSONParseError) {
        self = try JSONParser.parse(bytes, options: options)
    }

    /// Parses a complete JSON document from text. See ``JSONParser``.
    public init(parsing text: String, options: JSONParser.Options = .init()) throws(JSONParseError) {
        self = try JSONParser.parse(text, options: options)
    }
}
