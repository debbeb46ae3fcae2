/// A path in the documented JSONPath subset used by `diff-rules/` and by redaction:
///
/// | syntax | matches |
/// |---|---|
/// | `$` | the whole document |
/// | `.key` or `['key']` / `["key"]` | the member `key` of an object |
/// | `[*]` or `.*` | every element of an array and every member of an object |
/// | `[n]` | element `n` (0-based) of an array |
/// | `..key` | the member `key` at any depth below (including directly below) |
/// | `..*` | every value at any depth below |
///
/// Filters, slices, unions and negative indices are not supported: they are rejected with an error that says so.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
        case descendant(String)
        case descendantWildcard
    }

    public let segments: [Segment]
    /// The path as written.
    public let text: String

    public var description: String { self.text }

    public init(segments: [Segment]) {
        self.segments = segments
        var text = "$"
        for segment in segments {
            switch segment {
            case .key(let k): Self.appendKey(k, to: &text)
            case .index(let i): text += "[\(i)]"
            case .wildcard: text += "[*]"
            case .descendant(let k):
                text += "."
                Self.appendKey(k, to: &text)
            case .descendantWildcard: text += "..*"
            }
        }
        self.text = text
    }

    /// Parses a path.
    /// - Throws: ``JSONPathError`` naming the offset and what was expected.
    public init(parsing text: String) throws(JSONPathError) {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func fail(_ reason: String) -> JSONPathError { JSONPathError(path: text, offset: i, reason: reason) }
        guard chars.first == "$" else {
            throw fail("a path must start with '$' (e.g. '$.replies[*].score')")
        }
        i = 1
        var segments: [Segment] = []

        func readName() throws(JSONPathError) -> String {
            let start = i
            while i < chars.count, chars[i] != ".", chars[i] != "[", chars[i] != "]", chars[i] != " " { i += 1 }
            guard i > start else { throw fail("expected a member name") }
            var s = ""
            s.unicodeScalars.append(contentsOf: chars[start..<i])
            return s
        }

        func readBracket() throws(JSONPathError) -> Segment {
            i += 1  // [
            guard i < chars.count else { throw fail("unterminated '['") }
            let segment: Segment
            if chars[i] == "*" {
                i += 1
                segment = .wildcard
            } else if chars[i] == "'" || chars[i] == "\"" {
                let quote = chars[i]
                i += 1
                var s = ""
                while true {
                    guard i < chars.count else { throw fail("unterminated quoted name") }
                    let c = chars[i]
                    if c == quote { break }
                    if c == "\\" {
                        i += 1
                        guard i < chars.count else { throw fail("unterminated escape") }
                    }
                    s.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1
                segment = .key(s)
            } else if ("0"..."9").contains(chars[i]) {
                let start = i
                while i < chars.count, ("0"..."9").contains(chars[i]) { i += 1 }
                var digits = ""
                digits.unicodeScalars.append(contentsOf: chars[start..<i])
                guard let n = Int(digits) else { throw fail("index out of range") }
                segment = .index(n)
            } else if chars[i] == "-" {
                throw fail("negative indices are not supported; use [n] with n >= 0 or [*]")
            } else if chars[i] == "?" || chars[i] == "(" {
                throw fail("filter expressions are not supported; use [*], [n] or ['key']")
            } else {
                throw fail("expected *, a number or a quoted name inside []")
            }
            guard i < chars.count, chars[i] == "]" else {
                if i < chars.count, chars[i] == ":" || chars[i] == "," {
                    throw fail("slices and unions are not supported; write one path per entry")
                }
                throw fail("expected ']'")
            }
            i += 1
            return segment
        }

        while i < chars.count {
            switch chars[i] {
            case ".":
                if i + 1 < chars.count, chars[i + 1] == "." {
                    i += 2
                    guard i < chars.count else { throw fail("'..' must be followed by a name or '*'") }
                    if chars[i] == "*" {
                        i += 1
                        segments.append(.descendantWildcard)
                    } else if chars[i] == "[" {
                        switch try readBracket() {
                        case .key(let k): segments.append(.descendant(k))
                        case .wildcard: segments.append(.descendantWildcard)
                        default: throw fail("'..[n]' is not supported; use '..key' or '..*'")
                        }
                    } else {
                        segments.append(.descendant(try readName()))
                    }
                } else {
                    i += 1
                    guard i < chars.count else { throw fail("'.' must be followed by a name or '*'") }
                    if chars[i] == "*" {
                        i += 1
                        segments.append(.wildcard)
                    } else {
                        segments.append(.key(try readName()))
                    }
                }
            case "[":
                segments.append(try readBracket())
            default:
                throw fail("unexpected '\(chars[i])'; expected '.', '..' or '['")
            }
        }
        self.segments = segments
        self.text = text
    }

    /// Whether the value at `elements` (steps from the root) is selected by this path.
    public func matches(_ elements: [JSONPathElement]) -> Bool {
        Self.match(self.segments[...], elements[...])
    }

    private static func match(_ segments: ArraySlice<Segment>, _ elements: ArraySlice<JSONPathElement>) -> Bool {
        guard let segment = segments.first else { return elements.isEmpty }
        switch segment {
        case .descendant, .descendantWildcard:
            // Consume zero or more elements before the one that must match.
            var rest = elements
            while let element = rest.first {
                if Self.step(segment, element) && Self.match(segments.dropFirst(), rest.dropFirst()) { return true }
                rest = rest.dropFirst()
            }
            return false
        default:
            guard let element = elements.first, Self.step(segment, element) else { return false }
            return Self.match(segments.dropFirst(), elements.dropFirst())
        }
    }

    /// Whether one segment accepts one step.
    @inline(__always)
    static func step(_ segment: Segment, _ element: JSONPathElement) -> Bool {
        switch (segment, element) {
        case (.key(let k), .key(let e)), (.descendant(let k), .key(let e)): return k.hasSameBytes(as: e)
        case (.index(let n), .index(let e)): return n == e
        case (.wildcard, _), (.descendantWildcard, _): return true
        default: return false
        }
    }

    static func appendKey(_ key: String, to out: inout String) {
        // ASCII letters, digits, `_` and `-` print plainly; anything else is bracketed and quoted.
        let plain = !key.isEmpty && key.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }
        if plain {
            out += "." + key
        } else {
            out += "['" + key.replacingOccurrences(ofBackslashAnd: "'") + "']"
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(ofBackslashAnd quote: Character) -> String {
        var out = ""
        for c in self {
            if c == "\\" || c == quote { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// A JSONPath outside the supported subset, with where and why.
public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// Character offset in ``path`` where parsing stopped.
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSONPath '\(self.path)' at character \(self.offset): \(self.reason)" }
}
