/// The `diff-rules/` YAML that silences a field: an `ignore` entry for its route (see `diff-rules/README.md`).
public enum IgnoreRule {
    /// The rule block for `field` on `route`, or `nil` when `field` is not a body path (`status`, `header:…`
    /// cannot be ignored by path: status equivalence and `compare_headers` handle those).
    public static func yaml(route: String, field: String, why: String) -> String? {
        guard field.hasPrefix("$") else { return nil }
        return """
        rules:
          - route: \(quoted(route))
            description: \(quoted(why))
            ignore:
              - \(quoted(field))

        """
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
