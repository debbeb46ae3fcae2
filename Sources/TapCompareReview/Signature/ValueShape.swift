import Foundation

/// The shape of a discrepancy's values — what kind of change it is, regardless of the values themselves — so the
/// same bug on different ids, rows and depths gives one signature (``ProblemSignature``).
///
/// The values are the ledger's JSON text (absent when a side has none). Pure, unit-tested: a type pair
/// (`int→string`), or within one type a value class: `trailing whitespace trimmed` / `added`, `case changed`,
/// `rounded` / `truncated` (also across int and float: `4.5 → 4`), a side's `null` or `missing`; otherwise
/// `<type> changed`.
public enum ValueShape {
    /// `int→string`, `string: trailing whitespace trimmed`, `missing in candidate`, `null in candidate`, …
    public static func of(legacy: String?, candidate: String?) -> String {
        guard let legacy else { return candidate == nil ? "missing on both sides" : "missing in legacy" }
        guard let candidate else { return "missing in candidate" }
        let l = self.type(legacy), c = self.type(candidate)
        if l == "null" && c != "null" { return "null in legacy (\(c))" }
        if c == "null" && l != "null" { return "null in candidate (\(l))" }
        // Numbers first: `4.5 → 4` is a rounding whatever the JSON types say.
        if ["int", "float"].contains(l) && ["int", "float"].contains(c), let cls = self.rounding(legacy, candidate) { return "number: \(cls)" }
        if l != c { return "\(l)→\(c)" }
        switch l {
        case "string":
            let a = self.unquoted(legacy), b = self.unquoted(candidate)
            if let cls = self.whitespace(a, b) { return "string: \(cls)" }
            if a.lowercased() == b.lowercased() { return "string: case changed" }
            return "string changed"
        case "int", "float":
            if let cls = self.rounding(legacy, candidate) { return "number: \(cls)" }
            return "\(l) changed"
        default:
            return "\(l) changed"
        }
    }

    /// The JSON type of a value's text: `null`, `bool`, `int`, `float`, `string`, `array`, `object`; text that is
    /// not JSON (a header or status recorded as is) counts as `string`.
    static func type(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = t.first else { return "string" }
        switch first {
        case "{": return "object"
        case "[": return "array"
        case "\"": return "string"
        default:
            if t == "null" { return "null" }
            if t == "true" || t == "false" { return "bool" }
            if Int(t) != nil { return "int" }
            if Double(t) != nil { return "float" }
            return "string"
        }
    }

    static func unquoted(_ text: String) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        return String(text.dropFirst().dropLast())
    }

    /// Whitespace at the ends (JSON escapes `\n`, `\t` count as whitespace).
    static func whitespace(_ a: String, _ b: String) -> String? {
        func trimmed(_ s: String) -> String {
            var s = Substring(s)
            let escapes = ["\\n", "\\t", "\\r"]
            var changed = true
            while changed {
                changed = false
                if let f = s.first, f.isWhitespace { s = s.dropFirst(); changed = true }
                if let l = s.last, l.isWhitespace { s = s.dropLast(); changed = true }
                for e in escapes {
                    if s.hasPrefix(e) { s = s.dropFirst(2); changed = true }
                    if s.hasSuffix(e) { s = s.dropLast(2); changed = true }
                }
            }
            return String(s)
        }
        guard a != b, trimmed(a) == trimmed(b) else { return nil }
        let where_ = a.hasPrefix(trimmed(a)) && b.hasPrefix(trimmed(b)) ? "trailing " : a.hasSuffix(trimmed(a)) && b.hasSuffix(trimmed(b)) ? "leading " : ""
        if trimmed(b) == b { return where_ + "whitespace trimmed" }
        if trimmed(a) == a { return where_ + "whitespace added" }
        return "whitespace changed"
    }

    /// `rounded` when one side has fewer decimals and equals the other rounded to them (half a unit of its last
    /// place); `decimals added` for the reverse.
    static func rounding(_ legacy: String, _ candidate: String) -> String? {
        guard let a = Double(legacy), let b = Double(candidate), a != b else { return nil }
        func decimals(_ s: String) -> Int {
            guard let dot = s.firstIndex(of: "."), !s.contains("e"), !s.contains("E") else { return 0 }
            return s.distance(from: s.index(after: dot), to: s.endIndex)
        }
        let da = decimals(legacy), db = decimals(candidate)
        if db < da, abs(a - b) <= 0.5 * pow(10, -Double(db)) + 1e-12 { return "rounded" }
        if da < db, abs(a - b) <= 0.5 * pow(10, -Double(da)) + 1e-12 { return "decimals added" }
        // Cut to fewer decimals toward zero (`4.7 → 4`).
        let scale = pow(10, Double(db))
        if db < da, ((a * scale).rounded(.towardZero) / scale - b).magnitude < 1e-9 { return "truncated" }
        return nil
    }
}
