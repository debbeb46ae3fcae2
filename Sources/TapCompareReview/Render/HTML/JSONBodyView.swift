import TapCompareJSON
import TapCompareLedger

/// Renders a response body as indented JSON in HTML, with the values at the given JSON Pointers (RFC 6901)
/// highlighted: the side-by-side view of a comparison.
///
/// Parsed with TapCompareJSON, the diff engine's own parser, which keeps members in their order (reviewers compare
/// bodies by position) and every duplicate key, and keeps number text exactly as written. Text that is not JSON (a
/// capped sample cut mid-value, HTML, `base64:` binary) is shown as it is, escaped.
enum JSONBodyView {
    static func render(_ text: String?, highlight: Set<String>) -> String {
        guard let text, !text.isEmpty else { return "<span class=\"muted\">(no body kept)</span>" }
        if text.hasPrefix("base64:") { return "<span class=\"muted\">(binary body, \(text.utf8.count - 7) Base64 characters)</span>" }
        // A body redaction could not be applied to was not stored; the note says why.
        if text.hasPrefix(WithheldSample.prefix) { return "<span class=\"muted withheld\">\(esc(text))</span>" }
        guard let value = try? JSONParser.parse(text) else { return esc(text) }
        var out = ""
        self.write(value, pointer: "", indent: 0, highlight: highlight, into: &out)
        return out
    }

    static func write(_ value: JSONValue, pointer: String, indent: Int, highlight: Set<String>, into out: inout String) {
        let marked = highlight.contains(pointer)
        if marked { out += "<mark data-path=\"\(esc(pointer))\">" }
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch value {
        case .string(let s):
            out += "<span class=\"js\">\(esc(JSONValue.quoted(s)))</span>"
        case .number(let n):
            out += "<span class=\"jn\">\(esc(n.text))</span>"
        case .bool(let b):
            out += "<span class=\"jn\">\(b)</span>"
        case .null:
            out += "<span class=\"jn\">null</span>"
        case .array(let items):
            if items.isEmpty { out += "[]"; break }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                self.write(item, pointer: pointer + "/" + String(i), indent: indent + 1, highlight: highlight, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .object(let object):
            let members = object.members
            if members.isEmpty { out += "{}"; break }
            out += "{\n"
            for (i, member) in members.enumerated() {
                let child = pointer + JSONPointer(tokens: [member.key]).description
                out += pad
                let keyMarked = highlight.contains(child)
                out += "<span class=\"jk\(keyMarked ? " hk" : "")\">\(esc(JSONValue.quoted(member.key)))</span>: "
                self.write(member.value, pointer: child, indent: indent + 1, highlight: highlight, into: &out)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        }
        if marked { out += "</mark>" }
    }
}
