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
        return lhs.canonical == rhs.canonical
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.canonical)
    }
}
