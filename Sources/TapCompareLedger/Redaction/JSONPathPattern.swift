/// A JSONPath expression from `redact.json_paths` compiled for matching against locations in a body.
///
/// Supported (the subset configuration needs): `$`, `.name`, `['name']` / `["name"]`, `[3]`, `[*]`, `.*`, and
/// `..name` (any depth). A location is a list of tokens: the segments of an RFC 6901 pointer (`/a/0/b`).
public struct JSONPathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
        /// `..name`: `name` at this level or any level below.
        case descendant(String)
    }

    let steps: [Step]
    public let description: String

    /// - Throws: ``LedgerError`` naming the `redact.json_paths` entry and what is wrong with it.
    public init(parsing text: String) throws(LedgerError) {
        self.description = text
        var steps: [Step] = []
        let chars = Array(text)
        guard chars.first == "$" else {
            throw LedgerError.invalidConfiguration("redact.json_paths: '\(text)' must start with '$', e.g. '$.user.email'")
        }
        var i = 1
        func fail(_ why: String) -> LedgerError {
            LedgerError.invalidConfiguration("redact.json_paths: '\(text)' \(why)")
        }
        func readName() -> String {
            var name = ""
            while i < chars.count, chars[i] != ".", chars[i] != "[" {
                name.append(chars[i])
                i += 1
            }
            return name
        }
        while i < chars.count {
            if chars[i] == "." {
                if i + 1 < chars.count, chars[i + 1] == "." {
                    i += 2
                    let name = readName()
                    guard !name.isEmpty else { throw fail("has '..' without a name after it") }
                    steps.append(.descendant(name))
                } else {
                    i += 1
                    let name = readName()
                    guard !name.isEmpty else { throw fail("has an empty name after '.'") }
                    steps.append(name == "*" ? .wildcard : .key(name))
                }
            } else if chars[i] == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else { throw fail("has an unclosed '['") }
                let inner = String(chars[(i + 1)..<close])
                i = close + 1
                if inner == "*" {
                    steps.append(.wildcard)
                } else if let n = Int(inner), n >= 0 {
                    steps.append(.index(n))
                } else if inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw fail("has '[\(inner)]'; write [*], [0] or ['name']")
                }
            } else {
                throw fail("has '\(chars[i])' where '.' or '[' was expected")
            }
        }
        self.steps = steps
    }

    /// Whether the pattern selects exactly this location.
    func matches(_ tokens: ArraySlice<String>) -> Bool {
        Self.match(self.steps[...], tokens)
    }

    /// Whether the pattern selects this location or one above it (the value here is inside a selected one).
    func coversValue(at tokens: [String]) -> Bool {
        (0...tokens.count).contains { Self.match(self.steps[...], tokens[..<$0]) }
    }

    /// Whether the pattern may select a location strictly below this one (the value here may contain a selected
    /// one, which must then be redacted inside it).
    func mayMatchBelow(_ tokens: [String]) -> Bool {
        Self.prefixMatch(self.steps[...], tokens[...])
    }

    private static func match(_ steps: ArraySlice<Step>, _ tokens: ArraySlice<String>) -> Bool {
        guard let step = steps.first else { return tokens.isEmpty }
        switch step {
        case .descendant(let name):
            // `name` at this level, or skip one level and keep looking.
            if let token = tokens.first {
                if token == name, match(steps.dropFirst(), tokens.dropFirst()) { return true }
                return match(steps, tokens.dropFirst())
            }
            return false
        default:
            guard let token = tokens.first, Self.stepAccepts(step, token) else { return false }
            return match(steps.dropFirst(), tokens.dropFirst())
        }
    }

    /// Whether `tokens` could be the beginning of a location the pattern selects.
    private static func prefixMatch(_ steps: ArraySlice<Step>, _ tokens: ArraySlice<String>) -> Bool {
        guard let token = tokens.first else { return true }
        guard let step = steps.first else { return false }
        switch step {
        case .descendant:
            return true
        default:
            guard Self.stepAccepts(step, token) else { return false }
            return prefixMatch(steps.dropFirst(), tokens.dropFirst())
        }
    }

    private static func stepAccepts(_ step: Step, _ token: String) -> Bool {
        switch step {
        case .key(let name): return token == name
        case .index(let n): return token == String(n)
        case .wildcard: return true
        case .descendant: return false
        }
    }

    /// The tokens of an RFC 6901 pointer: `/a~1b/0` → `["a/b", "0"]`; `""` → `[]`.
    static func tokens(ofPointer pointer: String) -> [String] {
        guard !pointer.isEmpty else { return [] }
        return pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }
}

import Foundation
