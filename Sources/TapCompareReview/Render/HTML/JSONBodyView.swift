import Foundation
import TapCompareLedger

/// Renders a response body as indented JSON in HTML, with the values at the given JSON Pointers (RFC 6901)
/// highlighted: the side-by-side view of a comparison.
///
/// A small parser of its own keeps the body's key order (a dictionary would reorder it, and reviewers compare
/// bodies by position). Text that is not JSON (a capped sample cut mid-value, HTML, `base64:` binary) is shown as
/// it is, escaped.
enum JSONBodyView {
    indirect enum Node {
        case object([(String, Node)])
        case array([Node])
        case scalar(String)
    }

    static func render(_ text: String?, highlight: Set<String>) -> String {
        guard let text, !text.isEmpty else { return "<span class=\"muted\">(no body kept)</span>" }
        if text.hasPrefix("base64:") { return "<span class=\"muted\">(binary body, \(text.utf8.count - 7) Base64 characters)</span>" }
        // A body redaction could not be applied to was not stored; the note says why.
        if text.hasPrefix(WithheldSample.prefix) { return "<span class=\"muted withheld\">\(esc(text))</span>" }
        var parser = Parser(bytes: Array(text.utf8))
        guard let node = parser.parseDocument() else { return esc(text) }
        var out = ""
        self.write(node, pointer: "", indent: 0, highlight: highlight, into: &out)
        return out
    }

    static func write(_ node: Node, pointer: String, indent: Int, highlight: Set<String>, into out: inout String) {
        let marked = highlight.contains(pointer)
        if marked { out += "<mark data-path=\"\(esc(pointer))\">" }
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch node {
        case .scalar(let s):
            out += "<span class=\"\(s.hasPrefix("\"") ? "js" : "jn")\">\(esc(s))</span>"
        case .array(let items):
            if items.isEmpty { out += "[]"; break }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                self.write(item, pointer: pointer + "/" + String(i), indent: indent + 1, highlight: highlight, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; break }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                let child = pointer + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                out += pad
                let keyMarked = highlight.contains(child)
                out += "<span class=\"jk\(keyMarked ? " hk" : "")\">\(esc(Self.quote(key)))</span>: "
                self.write(value, pointer: child, indent: indent + 1, highlight: highlight, into: &out)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        }
        if marked { out += "</mark>" }
    }

    static func quote(_ key: String) -> String {
        var out = "\""
        for c in key.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// A strict-enough JSON parser: rejects what is not JSON, keeps scalars as their source text.
    struct Parser {
        let bytes: [UInt8]
        var i = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func parseDocument() -> Node? {
            self.skipSpace()
            guard let node = self.parseValue() else { return nil }
            self.skipSpace()
            return self.i == self.bytes.count ? node : nil
        }

        mutating func skipSpace() {
            while self.i < self.bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(self.bytes[self.i]) { self.i += 1 }
        }

        mutating func parseValue() -> Node? {
            guard self.i < self.bytes.count, self.depth < 200 else { return nil }
            switch self.bytes[self.i] {
            case UInt8(ascii: "{"):
                self.depth += 1; defer { self.depth -= 1 }
                self.i += 1
                var members: [(String, Node)] = []
                self.skipSpace()
                if self.i < self.bytes.count, self.bytes[self.i] == UInt8(ascii: "}") { self.i += 1; return .object(members) }
                while true {
                    self.skipSpace()
                    guard let keyText = self.parseString(), let key = Self.unquote(keyText) else { return nil }
                    self.skipSpace()
                    guard self.i < self.bytes.count, self.bytes[self.i] == UInt8(ascii: ":") else { return nil }
                    self.i += 1
                    self.skipSpace()
                    guard let value = self.parseValue() else { return nil }
                    members.append((key, value))
                    self.skipSpace()
                    guard self.i < self.bytes.count else { return nil }
                    if self.bytes[self.i] == UInt8(ascii: ",") { self.i += 1; continue }
                    if self.bytes[self.i] == UInt8(ascii: "}") { self.i += 1; return .object(members) }
                    return nil
                }
            case UInt8(ascii: "["):
                self.depth += 1; defer { self.depth -= 1 }
                self.i += 1
                var items: [Node] = []
                self.skipSpace()
                if self.i < self.bytes.count, self.bytes[self.i] == UInt8(ascii: "]") { self.i += 1; return .array(items) }
                while true {
                    self.skipSpace()
                    guard let value = self.parseValue() else { return nil }
                    items.append(value)
                    self.skipSpace()
                    guard self.i < self.bytes.count else { return nil }
                    if self.bytes[self.i] == UInt8(ascii: ",") { self.i += 1; continue }
                    if self.bytes[self.i] == UInt8(ascii: "]") { self.i += 1; return .array(items) }
                    return nil
                }
            case UInt8(ascii: "\""):
                return self.parseString().map(Node.scalar)
            default:
                let start = self.i
                while self.i < self.bytes.count, !" \n\r\t,]}".utf8.contains(self.bytes[self.i]) { self.i += 1 }
                let text = String(decoding: self.bytes[start..<self.i], as: UTF8.self)
                guard text == "true" || text == "false" || text == "null" || Double(text) != nil else { return nil }
                return .scalar(text)
            }
        }

        /// The string's source text, quotes included.
        mutating func parseString() -> String? {
            guard self.i < self.bytes.count, self.bytes[self.i] == UInt8(ascii: "\"") else { return nil }
            let start = self.i
            self.i += 1
            while self.i < self.bytes.count {
                let b = self.bytes[self.i]
                if b == UInt8(ascii: "\\") { self.i += 2; continue }
                if b == UInt8(ascii: "\"") {
                    self.i += 1
                    return String(decoding: self.bytes[start..<self.i], as: UTF8.self)
                }
                if b < 0x20 { return nil }
                self.i += 1
            }
            return nil
        }

        /// The decoded key (escapes resolved), as JSON Pointers name it.
        static func unquote(_ quoted: String) -> String? {
            var out = ""
            var scalars = quoted.unicodeScalars.dropFirst().dropLast()[...]
            while let c = scalars.popFirst() {
                guard c == "\\" else { out.unicodeScalars.append(c); continue }
                guard let e = scalars.popFirst() else { return nil }
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "b": out += "\u{08}"
                case "f": out += "\u{0C}"
                case "u":
                    let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
                    scalars = scalars.dropFirst(4)
                    guard let v = UInt32(hex, radix: 16) else { return nil }
                    out.unicodeScalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default: out.unicodeScalars.append(e)
                }
            }
            return out
        }
    }
}
