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
