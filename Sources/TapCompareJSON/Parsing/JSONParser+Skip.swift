/// Moving past values without building them, accepting exactly what building them accepts.
///
/// The lockstep parse (``JSONParser/parseForDiff(_:_:options:)``) walks a part that is the same in both documents
/// token by token and builds nothing; whatever it moves past must still be a value the parser would accept, or a
/// broken body would compare equal to a good one. These scans throw where ``JSONParser/parseString()`` and
/// friends throw (or, for the rare escaped string, simply run them).
extension JSONParser {
    /// Moves past the string whose opening quote is at ``index``, validating it as ``parseString()`` does.
    /// - Returns: whether the string holds an escape (its bytes then differ from its text).
    mutating func skipString() throws(JSONParseError) -> Bool {
        self.index += 1  // opening quote
        let start = self.index
        let count = self.bytes.count
        var highBits: UInt64 = 0
        while self.index + 8 <= count {
            let word = self.bytes.loadUnaligned(fromByteOffset: self.index, as: UInt64.self)
            if Self.hasQuoteBackslashOrControl(word) { break }
            highBits |= word
            self.index += 8
        }
        var high: UInt8 = highBits & 0x8080_8080_8080_8080 != 0 ? 0x80 : 0
        while self.index < count {
            let c = self.bytes[self.index]
            if c == UInt8(ascii: "\"") {
                if high >= 0x80, !Self.isValidUTF8(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index])) {
                    throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                }
                self.index += 1
                return false
            }
            if c == UInt8(ascii: "\\") {
                // Rare: decoding validates escapes and surrogate pairs exactly as building does.
                _ = try self.parseEscapedString(from: start)
                return true
            }
            if c < 0x20 { throw self.error("unescaped control character in a string") }
            high |= c
            self.index += 1
        }
        throw self.error("unterminated string")
    }

    /// The number whose text runs from `start` to ``index`` (already scanned by ``scanNumberEnd()``).
    func number(from start: Int) -> JSONValue {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        return .number(JSONNumber(uncheckedText: text))
    }

    /// Whether `bytes` is well-formed UTF-8 (Unicode 15 table 3-7: no overlong forms, no surrogates, nothing past
    /// U+10FFFF), the rule `String(validating:as:)` applies, without building a string.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            switch b0 {
            case 0xC2...0xDF:
                guard i + 1 < n, bytes[i + 1] & 0xC0 == 0x80 else { return false }
                i += 2
            case 0xE0...0xEF:
                guard i + 2 < n else { return false }
                let b1 = bytes[i + 1]
                let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
                let highest: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard b1 >= low, b1 <= highest, bytes[i + 2] & 0xC0 == 0x80 else { return false }
                i += 3
            case 0xF0...0xF4:
                guard i + 3 < n else { return false }
                let b1 = bytes[i + 1]
                let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
                let highest: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard b1 >= low, b1 <= highest, bytes[i + 2] & 0xC0 == 0x80, bytes[i + 3] & 0xC0 == 0x80 else { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }

    /// The identity the diff reads of the value at `offset` (already validated): when it is an object, its
    /// member `key` (the last one, or the first when `firstOnly` because it has no repeated key) if that is a
    /// string or number. Leaves ``index`` where it was.
    mutating func identity(at offset: Int, key: String, firstOnly: Bool) throws(JSONParseError) -> JSONValue? {
        guard self.bytes[offset] == UInt8(ascii: "{") else { return nil }
        let (index, depth) = (self.index, self.depth)
        defer { (self.index, self.depth) = (index, depth) }
        self.index = offset + 1
        self.depth = 0
        var found: JSONValue?
        self.skipWhitespace()
        if self.bytes[self.index] == UInt8(ascii: "}") { return nil }
        while true {
            self.skipWhitespace()
            let name = try self.parseString()
            self.skipWhitespace()
            self.index += 1  // :
            self.skipWhitespace()
            if name.hasSameBytes(as: key) {
                found = try self.parseValue()
                if firstOnly { break }
            } else {
                try self.skipValue()
            }
            self.skipWhitespace()
            let c = self.bytes[self.index]
            self.index += 1
            if c != UInt8(ascii: ",") { break }
        }
        switch found {
        case .string?, .number?: return found
        default: return nil
        }
    }

    /// Moves past the (already validated) value at ``index`` without building it.
    mutating func skipValue() throws(JSONParseError) {
        let count = self.bytes.count
        switch self.bytes[self.index] {
        case UInt8(ascii: "\""):
            _ = try self.skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var nesting = 0
            repeat {
                switch self.bytes[self.index] {
                case UInt8(ascii: "\""):
                    _ = try self.skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): nesting += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): nesting -= 1
                default: break
                }
                self.index += 1
            } while nesting > 0
        default:
            // A number or literal: up to the next delimiter.
            while self.index < count {
                switch self.bytes[self.index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return
                default: self.index += 1
                }
            }
        }
    }
}

extension JSONParser {
    /// What ``skipValue(endingBefore:ownKeys:)`` learnt before giving up at its limit, so the lockstep walk that
    /// goes on token by token from there does not scan those bytes again.
    struct SkipTrail {
        /// Whether the last skip gave up at its limit (rather than at a repeated key or deep nesting).
        var reachedLimit = false
        /// The starts of the containers open at the limit, the skipped value first: each holds the limit, so a
        /// skip of it fails too.
        var open: [Int] = []
        /// When the skipped value is an array: where each of its elements that ended before the limit starts and
        /// ends (an object among them whose own keys repeat or hold an escape is left out; see `ownKeys`).
        var elements: [(start: Int, end: Int)] = []
    }

    /// Moves past the value at ``index`` without building it, accepting exactly what ``parseValue()`` accepts,
    /// when the value ends before `limit`; otherwise leaves ``index`` where it was and returns `false`, with
    /// ``trail`` telling what the scan found before the limit.
    ///
    /// The lockstep walk uses it for a run of bytes it knows to be the same in both documents: one side's scan
    /// validates the value for both, as the same bytes at the same depth parse the same way. It gives up (and the
    /// walk goes on token by token) at `limit`, at 64 levels of nesting below the value, and, with `ownKeys`, at
    /// an object whose own keys repeat or hold an escape, whose first member of a name the diff would not read
    /// as its identity (``identity(at:key:firstOnly:)``).
    /// - Throws: where a parse of the value throws (not always with the same message: callers parse again).
    mutating func skipValue(endingBefore limit: Int, ownKeys: Bool) throws(JSONParseError) -> Bool {
        let start = self.index
        let count = self.bytes.count
        self.trail.reachedLimit = false
        self.trail.open.removeAll(keepingCapacity: true)
        self.trail.elements.removeAll(keepingCapacity: true)
        // The level whose objects' own keys are checked: the value's own, or its elements' when it is an array.
        let isArray = self.bytes[start] == UInt8(ascii: "[")
        let keysLevel = isArray ? 2 : (ownKeys ? 1 : 0)
        // One bit per open container below the value: 1 for an object.
        var objects: UInt64 = 0
        var level = 0
        var elementStart = 0
        var elementRecorded = true
        var keyCount = 0
        value: while true {
            guard self.index < limit else { return self.giveUp(from: start, atLimit: true) }
            if level == 1 && isArray {
                elementStart = self.index
                elementRecorded = true
            }
            switch self.bytes[self.index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = self.bytes[self.index] == UInt8(ascii: "{")
                guard level < 63 else { return self.giveUp(from: start, atLimit: false) }
                guard self.depth + level + 1 <= self.options.maxDepth else {
                    throw self.error("nesting deeper than \(self.options.maxDepth) arrays and objects")
                }
                level += 1
                if isObject { objects |= 1 << UInt64(level) } else { objects &= ~(1 << UInt64(level)) }
                self.trail.open.append(self.index)
                self.index += 1
                self.skipWhitespace()
                guard self.index < count else { throw self.error("unexpected end of input") }
                if self.bytes[self.index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    self.index += 1
                    level -= 1
                    self.trail.open.removeLast()
                } else if isObject {
                    keyCount = 0
                    if try !self.skipKey(checked: level == keysLevel, count: &keyCount) {
                        if level == 1 { return self.giveUp(from: start, atLimit: false) }
                        elementRecorded = false
                    }
                    continue value
                } else {
                    continue value
                }
            case UInt8(ascii: "\""):
                _ = try self.skipString()
            case UInt8(ascii: "t"): try self.expectLiteral("true")
            case UInt8(ascii: "f"): try self.expectLiteral("false")
            case UInt8(ascii: "n"): try self.expectLiteral("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try self.scanNumberEnd()
            default:
                throw self.error("unexpected \(self.describeCurrent()), expected a value")
            }
            // After a value: the container's separator or end, up to the value's own end.
            while true {
                // Strictly before the limit: a number's end is decided by the byte after it.
                guard self.index < limit else { return self.giveUp(from: start, atLimit: true) }
                if level == 0 { return true }
                if level == 1 && isArray && elementRecorded { self.trail.elements.append((elementStart, self.index)) }
                self.skipWhitespace()
                guard self.index < count else { throw self.error("unexpected end of input") }
                let c = self.bytes[self.index]
                let inObject = objects & (1 << UInt64(level)) != 0
                self.index += 1
                if c == UInt8(ascii: ",") {
                    self.skipWhitespace()
                    if inObject, try !self.skipKey(checked: level == keysLevel, count: &keyCount) {
                        if level == 1 { return self.giveUp(from: start, atLimit: false) }
                        elementRecorded = false
                    }
                    continue value
                }
                guard c == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    self.index -= 1
                    throw self.error("unexpected \(self.describeCurrent()), expected ',' or the container's end")
                }
                level -= 1
                self.trail.open.removeLast()
            }
        }
    }

    private mutating func giveUp(from start: Int, atLimit: Bool) -> Bool {
        self.index = start
        self.trail.reachedLimit = atLimit
        return false
    }

    /// Moves past an object member's key and its `:` (see ``skipValue(endingBefore:ownKeys:)``); `false` when the
    /// key is `checked` and is escaped or repeats an earlier key of its object (`count` of them so far).
    private mutating func skipKey(checked: Bool, count: inout Int) throws(JSONParseError) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
            throw self.error("unexpected \(self.describeCurrent()) in an object, expected a quoted key")
        }
        let keyStart = self.index
        let escaped = try self.skipString()
        var fine = true
        if checked {
            let key = UnsafeRawBufferPointer(rebasing: self.bytes[(keyStart + 1)..<(self.index - 1)])
            if count == 0 { self.ownKeySpans.removeAll(keepingCapacity: true) }
            if escaped || count >= 32 {
                fine = false
            } else {
                for span in self.ownKeySpans where span.count == key.count
                    && JSONParser.equalBytes(self.bytes.baseAddress! + span.lowerBound, key.baseAddress!, key.count)
                {
                    fine = false
                }
                self.ownKeySpans.append((keyStart + 1)..<(self.index - 1))
            }
            count += 1
        }
        self.skipWhitespace()
        guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
            throw self.error("unexpected \(self.describeCurrent()) after a key, expected ':'")
        }
        self.index += 1
        self.skipWhitespace()
        return fine
    }
}
