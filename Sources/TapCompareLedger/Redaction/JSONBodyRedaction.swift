import TapCompareJSON

/// Replaces the values at configured JSON paths in a JSON text by `"[REDACTED]"`.
///
/// Parsed and written back with TapCompareJSON, which keeps member order and every number's text, so a stored
/// sample differs from what the upstream sent only where something was redacted. A text that is not JSON is
/// returned unchanged: the paths only name JSON locations (headers and query parameters are redacted separately).
enum JSONBodyRedaction {
    /// - Parameter base: The location of `text` inside the body (a discrepancy's value), `[]` for a whole body.
    static func redact(_ text: String, paths: [JSONPathPattern], at base: [String] = []) -> String {
        guard let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || !base.isEmpty,
              let root = try? JSONParser.parse(text)
        else { return text }
        var changed = false
        var tokens = base
        let redacted = Self.walk(root, tokens: &tokens, paths: paths, changed: &changed)
        return changed ? redacted.serialized() : text
    }

    /// A parsed value found at `base` with the paths below it redacted.
    static func redact(_ value: JSONValue, paths: [JSONPathPattern], at base: [String]) -> JSONValue {
        var changed = false
        var tokens = base
        return Self.walk(value, tokens: &tokens, paths: paths, changed: &changed)
    }

    /// A whole body's text with configured paths redacted; the text itself when it is not a JSON document
    /// (does not start with `{` or `[`); `nil` when it starts like one but does not parse (cut short, or
    /// broken), so the paths cannot be found in it and it must not be stored.
    static func redactDocument(_ text: String, paths: [JSONPathPattern]) -> String? {
        guard let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return text }
        guard let root = try? JSONParser.parse(text) else { return nil }
        var changed = false
        var tokens: [String] = []
        let redacted = Self.walk(root, tokens: &tokens, paths: paths, changed: &changed)
        return changed ? redacted.serialized() : text
    }

    private static func walk(_ value: JSONValue, tokens: inout [String], paths: [JSONPathPattern], changed: inout Bool) -> JSONValue {
        if !tokens.isEmpty, paths.contains(where: { $0.matches(tokens[...]) }) {
            changed = true
            return .string(Redactor.marker)
        }
        guard paths.contains(where: { $0.mayMatchBelow(tokens) }) else { return value }
        switch value {
        case .object(var object):
            for i in object.members.indices {
                tokens.append(object.members[i].key)
                object.members[i].value = Self.walk(object.members[i].value, tokens: &tokens, paths: paths, changed: &changed)
                tokens.removeLast()
            }
            return .object(object)
        case .array(var elements):
            for i in elements.indices {
                tokens.append(String(i))
                elements[i] = Self.walk(elements[i], tokens: &tokens, paths: paths, changed: &changed)
                tokens.removeLast()
            }
            return .array(elements)
        default:
            return value
        }
    }
}
