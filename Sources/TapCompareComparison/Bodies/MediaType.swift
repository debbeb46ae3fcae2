/// A parsed `Content-Type`: lower-cased type and subtype, parameters normalized.
///
/// Normalization makes `application/json; charset="UTF-8"` equal `application/json;charset=utf-8`: names and
/// the charset value are lower-cased, quotes and whitespace removed, parameters sorted by name.
struct MediaType: Hashable {
    var type: String
    var subtype: String
    var parameters: [(name: String, value: String)]

    init?(_ text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard let essence = parts.first else { return nil }
        let slash = essence.split(separator: "/", maxSplits: 1)
        guard slash.count == 2 else { return nil }
        self.type = slash[0].trimmingASCIIWhitespace().lowercased()
        self.subtype = slash[1].trimmingASCIIWhitespace().lowercased()
        guard !self.type.isEmpty, !self.subtype.isEmpty else { return nil }
        var parameters: [(name: String, value: String)] = []
        for raw in parts.dropFirst() {
            let kv = raw.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let name = kv[0].trimmingASCIIWhitespace().lowercased()
            var value = kv[1].trimmingASCIIWhitespace()
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            if name == "charset" { value = value.lowercased() }
            parameters.append((name, value))
        }
        parameters.sort { $0.name < $1.name }
        self.parameters = parameters
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
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
