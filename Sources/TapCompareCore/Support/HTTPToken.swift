/// RFC 9110 `token`: what a header name (and a method) may be made of. Written once here for the rule loader, the
/// configuration loader and the command line, so one header name is accepted or refused the same way everywhere.
public enum HTTPToken {
    /// Whether `text` is a non-empty token: ASCII letters and digits and ``!#$%&'*+-.^_`|~``.
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}
