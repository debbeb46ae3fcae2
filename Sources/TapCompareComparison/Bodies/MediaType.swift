/// A parsed `Content-Type` in the form two equivalent media types share (RFC 9110 §8.3.1).
///
/// - type and subtype are case-insensitive: lower-cased;
/// - parameters are a set: names lower-cased, quotes (and their backslash escapes) removed, whitespace around
///   `;` and `=` dropped, sorted, duplicates kept once; values stay case-sensitive (e.g. a multipart
///   `boundary`) except `charset`, whose values are case-insensitive (RFC 2978);
/// - a `charset` that only restates the type's default is no parameter at all (see ``defaultCharset``).
///
/// So `application/json; charset="UTF-8"`, `Application/JSON;charset=utf-8` and `application/json` are one
/// media type, while `text/plain; charset=utf-8` and `text/plain` are not (US-ASCII is text/plain's default).
struct MediaType: Hashable {
    var type: String
    var subtype: String
    var parameters: [(name: String, value: String)]

    init?(_ text: String) {
        // What nearly every compared API answer says, settled without building strings.
        if Self.isBareApplicationJSON(text) {
            (self.type, self.subtype, self.parameters) = ("application", "json", [])
            return
        }
        if let (type, subtype) = Self.bareEssence(text) {
            self.type = type
            self.subtype = subtype
            self.parameters = []
            return
        }
        var parts = Self.split(text)
        guard !parts.isEmpty else { return nil }
        let essence = parts.removeFirst()
        let slash = essence.split(separator: "/", maxSplits: 1)
        guard slash.count == 2 else { return nil }
        self.type = slash[0].trimmingASCIIWhitespace().lowercased()
        self.subtype = slash[1].trimmingASCIIWhitespace().lowercased()
        guard !self.type.isEmpty, !self.subtype.isEmpty else { return nil }
        var parameters: [(name: String, value: String)] = []
        for raw in parts {
            guard let equals = raw.firstIndex(of: "=") else { continue }
            let name = raw[..<equals].trimmingASCIIWhitespace().lowercased()
            var value = Self.unquoted(raw[raw.index(after: equals)...].trimmingASCIIWhitespace())
            guard !name.isEmpty else { continue }
            if name == "charset" { value = value.lowercased() }
            if parameters.contains(where: { $0.name == name && $0.value == value }) { continue }
            parameters.append((name, value))
        }
        parameters.sort { ($0.name, $0.value) < ($1.name, $1.value) }
        self.parameters = parameters
        if let implied = self.defaultCharset {
            self.parameters.removeAll { $0.name == "charset" && $0.value == implied }
        }
    }

    /// The charset a message of this type has when it names none, when a specification fixes one; a
    /// `charset` parameter equal to it changes nothing.
    ///
    /// - JSON (`application/json`, `*+json`): `utf-8`. RFC 8259 §11 defines no `charset` parameter ("adding
    ///   one really has no effect") and §8.1 requires UTF-8 between systems, so `charset=utf-8` says nothing.
    ///   Another charset on JSON is kept: a client honouring it would decode the body differently.
    /// - `text/plain`: `us-ascii` (RFC 2046 §4.1.2, kept by RFC 6657 §4). Note that it is *not* UTF-8, so
    ///   `text/plain; charset=utf-8` against `text/plain` stays a difference.
    /// - Everything else: none. RFC 6657 asks new `text/*` subtypes to define no default, and types such as
    ///   `text/html` or `application/xml` take the charset from the content when the parameter is absent, so
    ///   an explicit charset there may well change how the body is read.
    var defaultCharset: String? {
        if self.isJSON { return "utf-8" }
        if self.type == "text" && self.subtype == "plain" { return "us-ascii" }
        return nil
    }

    /// `type/subtype;name=value` in normalized form.
    var normalized: String {
        var s = self.type + "/" + self.subtype
        for p in self.parameters { s += ";" + p.name + "=" + p.value }
        return s
    }

    var isJSON: Bool {
        (self.type == "application" && self.subtype == "json") || self.subtype.hasSuffix("+json")
    }

    var isText: Bool { self.type == "text" }

    var isForm: Bool { self.type == "application" && self.subtype == "x-www-form-urlencoded" }

    static func == (a: MediaType, b: MediaType) -> Bool { a.normalized == b.normalized }
    func hash(into hasher: inout Hasher) { hasher.combine(self.normalized) }

    /// `type/subtype` lower-cased when `text` is exactly that (ASCII token characters around one `/`, nothing
    /// else): the usual `application/json`, read from its bytes. The general parse gives the same result (no
    /// parameters, nothing to trim) at several times the cost, paid on every comparison.
    /// Whether `text` is `application/json` in any case, with nothing around it.
    private static func isBareApplicationJSON(_ text: String) -> Bool {
        let expected = "application/json".utf8
        guard text.utf8.count == expected.count else { return false }
        return zip(text.utf8, expected).allSatisfy { $0 | 0x20 == $1 }
    }

    private static func bareEssence(_ text: String) -> (String, String)? {
        var type: [UInt8] = []
        var subtype: [UInt8] = []
        var sawSlash = false
        for var c in text.utf8 {
            if c == UInt8(ascii: "/") {
                if sawSlash { return nil }
                sawSlash = true
                continue
            }
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): c |= 0x20
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): break
            // RFC 9110 tchar punctuation.
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                break
            default: return nil
            }
            if sawSlash { subtype.append(c) } else { type.append(c) }
        }
        guard sawSlash, !type.isEmpty, !subtype.isEmpty else { return nil }
        return (String(decoding: type, as: UTF8.self), String(decoding: subtype, as: UTF8.self))
    }

    /// Splits at the `;` that are not inside a quoted string.
    private static func split(_ text: String) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var quoted = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if escaped {
                escaped = false
            } else if quoted && c == "\\" {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == ";" && !quoted {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    /// A quoted-string's content (escapes undone); a token as is.
    private static func unquoted(_ value: String) -> String {
        guard value.count >= 2, value.first == "\"", value.last == "\"" else { return value }
        var out = ""
        var escaped = false
        for c in value.dropFirst().dropLast() {
            if escaped {
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
