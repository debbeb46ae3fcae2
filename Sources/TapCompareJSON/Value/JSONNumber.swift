/// A JSON number kept as its decimal text, compared by exact decimal value without any rounding.
///
/// `JSONNumber("1.0") == JSONNumber("1")`, `JSONNumber("1e2") == JSONNumber("100")`, and
/// `9007199254740993` differs from `9007199254740992` (which a `Double` would merge).
/// `-0` equals `0`: they are the same value; a `lexical` rule compares ``text`` instead.
public struct JSONNumber: Sendable, CustomStringConvertible {
    /// The number exactly as written in the document (valid JSON number grammar).
    public let text: String

    /// Wraps text already known to be a valid JSON number (the parser's path).
    @usableFromInline
    init(uncheckedText text: String) { self.text = text }

    /// Parses `text` as a JSON number; `nil` when it is not valid JSON number syntax.
    public init?(_ text: String) {
        var copy = text
        let ok = copy.withUTF8 { JSONNumber.isValidSyntax(UnsafeRawBufferPointer($0)) }
        guard ok else { return nil }
        self.text = text
    }

    public init(_ value: Int) { self.text = String(value) }

    public var description: String { self.text }

    /// The nearest `Double` (for tolerance rules and epoch timestamps, where approximation is the point).
    public var doubleValue: Double { Double(self.text) ?? .nan }

    /// The value as an exact decimal: sign, significant digits without leading or trailing zeros, and the
    /// power of ten of the last digit. Zero is `(false, "", 0)`.
    public var canonical: Canonical { Canonical(self.text) }

    /// Exact decimal form of a number: `value = (negative ? -1 : 1) * digits * 10^exponent`.
    public struct Canonical: Sendable, Hashable {
        public var negative: Bool
        /// Significant digits, no leading or trailing zeros (empty for zero).
        public var digits: String
        public var exponent: Int

        init(_ text: String) {
            var negative = false
            var digits: [UInt8] = []
            var exponent = 0
            var fractionDigits = 0
            var utf8 = text.utf8[...]
            if utf8.first == UInt8(ascii: "-") {
                negative = true
                utf8 = utf8.dropFirst()
            }
            var inFraction = false
            var index = utf8.startIndex
            while index < utf8.endIndex {
                let c = utf8[index]
                if c == UInt8(ascii: ".") {
                    inFraction = true
                } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    break
                } else {
                    if !(digits.isEmpty && c == UInt8(ascii: "0")) { digits.append(c) }
                    if inFraction { fractionDigits += 1 }
                }
                index = utf8.index(after: index)
            }
            if index < utf8.endIndex {
                index = utf8.index(after: index)
                var expNegative = false
                if utf8[index] == UInt8(ascii: "-") {
                    expNegative = true
                    index = utf8.index(after: index)
                } else if utf8[index] == UInt8(ascii: "+") {
                    index = utf8.index(after: index)
                }
                var e = 0
                while index < utf8.endIndex {
                    // The parser bounds exponents to 9 digits, so this cannot overflow.
                    e = e &* 10 &+ Int(utf8[index] &- UInt8(ascii: "0"))
                    index = utf8.index(after: index)
                }
                exponent = expNegative ? -e : e
            }
            exponent -= fractionDigits
            while let last = digits.last, last == UInt8(ascii: "0") {
                digits.removeLast()
                exponent += 1
            }
            if digits.isEmpty {
                negative = false
                exponent = 0
            }
            self.negative = negative
            self.digits = String(decoding: digits, as: UTF8.self)
            self.exponent = exponent
        }
    }

    /// Whether `bytes` is exactly one JSON number (RFC 8259 grammar, exponent of at most 9 digits).
    static func isValidSyntax(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var parser = JSONParser(bytes: bytes, options: .init())
        guard !bytes.isEmpty, (try? parser.scanNumberEnd()) != nil else { return false }
        return parser.index == bytes.count
    }
}

extension JSONNumber: Hashable {
    /// Exact decimal equality; identical text short-circuits.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text.hasSameBytes(as: rhs.text) { return true }
        var a = lhs.text
        var b = rhs.text
        return a.withUTF8 { x in b.withUTF8 { y in Self.sameValue(x, y) } }
    }

    /// Where a number's value lies in its text: the sign, the first and last significant digits (`first` is
    /// `-1` for zero) and the power of ten of the last one. What ``Canonical`` holds, without allocating:
    /// equality runs inside hash-table probes (identities of array elements), where it meets many unequal ids.
    struct Shape {
        var negative: Bool
        var first: Int
        var last: Int
        var exponent: Int

        init(_ b: UnsafeBufferPointer<UInt8>) {
            var i = 0
            self.negative = false
            if i < b.count, b[i] == UInt8(ascii: "-") {
                self.negative = true
                i += 1
            }
            let mantissaStart = i
            var mantissaEnd = i
            while mantissaEnd < b.count, b[mantissaEnd] != UInt8(ascii: "e"), b[mantissaEnd] != UInt8(ascii: "E") { mantissaEnd += 1 }
            var exponent = 0
            if mantissaEnd < b.count {
                var k = mantissaEnd + 1
                var expNegative = false
                if b[k] == UInt8(ascii: "-") {
                    expNegative = true
                    k += 1
                } else if b[k] == UInt8(ascii: "+") {
                    k += 1
                }
                // The parser bounds exponents to 9 digits, so this cannot overflow.
                while k < b.count {
                    exponent = exponent &* 10 &+ Int(b[k] &- 0x30)
                    k += 1
                }
                if expNegative { exponent = -exponent }
            }
            var fractionDigits = 0
            var first = -1
            var last = -1
            var sawPoint = false
            for k in mantissaStart..<mantissaEnd {
                let c = b[k]
                if c == UInt8(ascii: ".") {
                    sawPoint = true
                    continue
                }
                if sawPoint { fractionDigits += 1 }
                if c != UInt8(ascii: "0") {
                    if first < 0 { first = k }
                    last = k
                }
            }
            self.first = first
            self.last = last
            var trailing = 0  // digits after `last` (zeros)
            if first >= 0 {
                for k in (last + 1)..<mantissaEnd where b[k] != UInt8(ascii: ".") { trailing += 1 }
            }
            self.exponent = exponent - fractionDigits + trailing
        }
    }

    /// Exact decimal equality of two valid number texts (as ``Canonical`` equality, without allocating).
    static func sameValue(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let a = Shape(x)
        let b = Shape(y)
        if a.first < 0 || b.first < 0 { return a.first < 0 && b.first < 0 }  // zero, whatever its sign
        guard a.negative == b.negative, a.exponent == b.exponent else { return false }
        // The significant digits, '.' skipped, must agree one for one.
        var i = a.first
        var j = b.first
        while true {
            if x[i] == UInt8(ascii: ".") { i += 1 }
            if y[j] == UInt8(ascii: ".") { j += 1 }
            guard x[i] == y[j] else { return false }
            let endA = i == a.last
            let endB = j == b.last
            if endA || endB { return endA && endB }
            i += 1
            j += 1
        }
    }

    /// Hashes the exact value without building ``Canonical`` (no allocation): the sign, the significant digits
    /// and the power of ten of the last one, exactly what equal values share.
    public func hash(into hasher: inout Hasher) {
        var text = self.text
        text.withUTF8 { b in
            let shape = Shape(b)
            guard shape.first >= 0 else {
                hasher.combine(0 as UInt8)  // zero, whatever its sign or spelling
                return
            }
            hasher.combine(shape.negative)
            // The significant digits, '.' skipped, eight to a word (ids are hashed by the thousand when arrays
            // are aligned), then the power of ten of the last one.
            var word: UInt64 = 0
            var digits = 0
            for k in shape.first...shape.last where b[k] != UInt8(ascii: ".") {
                word = word << 8 | UInt64(b[k])
                digits += 1
                if digits & 7 == 0 {
                    hasher.combine(word)
                    word = 0
                }
            }
            hasher.combine(word)
            hasher.combine(digits)
            hasher.combine(shape.exponent)
        }
    }
}
