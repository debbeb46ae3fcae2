/// An RFC 6901 JSON Pointer such as `/replies/3/score`; `""` is the whole document.
///
/// Reference tokens are kept unescaped; ``description`` escapes `~` as `~0` and `/` as `~1`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// Unescaped reference tokens (an array index is its decimal text).
    public var tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    public init(elements: [JSONPathElement]) {
        self.tokens = elements.map {
            switch $0 {
            case .key(let k): return k
            case .index(let i): return String(i)
            }
        }
    }

    /// Parses pointer text.
    /// - Throws: ``JSONPointerError`` when the text does not start with `/` or has a bad `~` escape.
    public init(parsing text: String) throws(JSONPointerError) {
        guard !text.isEmpty else {
            self.tokens = []
            return
        }
        guard text.first == "/" else { throw JSONPointerError(pointer: text, reason: "a JSON Pointer must be empty or start with '/'") }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                if c == "~" {
                    switch iterator.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw JSONPointerError(pointer: text, reason: "'~' must be followed by '0' or '1'")
                    }
                } else {
                    token.append(c)
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    public var description: String {
        var out = ""
        for token in self.tokens {
            out += "/"
            for c in token.unicodeScalars {
                switch c {
                case "~": out += "~0"
                case "/": out += "~1"
                default: out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }

    /// The array index a token denotes (RFC 6901: `0` or digits without a leading zero), or `nil`.
    static func arrayIndex(_ token: String) -> Int? {
        guard let first = token.utf8.first, token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if first == 0x30 && token.utf8.count > 1 { return nil }
        return Int(token)
    }
}

/// A JSON Pointer that cannot be parsed or does not resolve.
public struct JSONPointerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pointer: String
    public var reason: String
    public var description: String { "JSON Pointer '\(self.pointer)': \(self.reason)" }
}

extension JSONValue {
    /// The value a pointer designates, or `nil` when it does not resolve.
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let i = JSONPointer.arrayIndex(token), i < array.count else { return nil }
                current = array[i]
            default:
                return nil
            }
        }
        return current
    }
}
