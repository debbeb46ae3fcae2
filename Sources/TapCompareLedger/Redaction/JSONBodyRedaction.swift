import Foundation

/// Replaces the values at configured JSON paths in a JSON body by `"[REDACTED]"`.
///
/// A body that is not JSON (or not an object/array) is returned unchanged; the JSON paths only name JSON
/// locations, and headers and query parameters are redacted separately.
enum JSONBodyRedaction {
    /// - Parameter at: The location of `text` inside the body (a discrepancy's value), `[]` for a whole body.
    static func redact(_ text: String, paths: [JSONPathPattern], at base: [String] = []) -> String {
        guard let data = text.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return text }
        var changed = false
        let redacted = Self.walk(root, tokens: base, paths: paths, changed: &changed)
        guard changed,
              let out = try? JSONSerialization.data(withJSONObject: redacted, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]),
              let result = String(data: out, encoding: .utf8)
        else { return text }
        return result
    }

    private static func walk(_ value: Any, tokens: [String], paths: [JSONPathPattern], changed: inout Bool) -> Any {
        if !tokens.isEmpty, paths.contains(where: { $0.matches(tokens[...]) }) {
            changed = true
            return Redactor.marker
        }
        if let object = value as? [String: Any] {
            var result: [String: Any] = [:]
            for (key, child) in object {
                result[key] = Self.walk(child, tokens: tokens + [key], paths: paths, changed: &changed)
            }
            return result
        }
        if let array = value as? [Any] {
            return array.enumerated().map { Self.walk($1, tokens: tokens + [String($0)], paths: paths, changed: &changed) }
        }
        return value
    }
}
