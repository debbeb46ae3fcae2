import Foundation
import TapCompareJSON

/// A JSONPath expression from `redact.json_paths`, compiled for matching against locations given as RFC 6901
/// pointer tokens (`/a/0/b` → `["a", "0", "b"]`), which is how discrepancies name where they are.
///
/// The syntax is TapCompareJSON's ``TapCompareJSON/JSONPath`` subset, the same as `diff-rules/`: `$`, `.name`,
/// `['name']`, `[3]`, `[*]`, `.*`, `..name`, `..*`.
public struct JSONPathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
        /// `..name`: `name` at this level or any level below.
        case descendant(String)
        /// `..*`: every value at any depth below.
        case descendantWildcard
    }

    let steps: [Step]
    public let description: String

    /// - Throws: ``LedgerError`` naming the `redact.json_paths` entry and what is wrong with it.
    public init(parsing text: String) throws(LedgerError) {
        let path: JSONPath
        do {
            path = try JSONPath(parsing: text)
        } catch {
            throw LedgerError.invalidConfiguration("redact.json_paths: \(error.description)")
        }
        self.description = text
        self.steps = path.segments.map { segment in
            switch segment {
            case .key(let k): return .key(k)
            case .index(let i): return .index(i)
            case .wildcard: return .wildcard
            case .descendant(let k): return .descendant(k)
            case .descendantWildcard: return .descendantWildcard
            }
        }
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
        case .descendantWildcard:
            guard !tokens.isEmpty else { return false }
            return match(steps.dropFirst(), tokens.dropFirst()) || match(steps, tokens.dropFirst())
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
        case .descendant, .descendantWildcard:
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
        case .descendant, .descendantWildcard: return false
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

