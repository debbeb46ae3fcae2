import Foundation
import TapCompareJSON
import TapCompareLedger

/// Rewrites JSON text with the values at selected paths replaced by `"[REDACTED]"`, copying every other byte
/// unchanged (numbers keep their spelling, key order and whitespace stay as they were).
///
/// Works on the text rather than on a parsed tree because a capture must keep the body's bytes exactly where
/// nothing is redacted; parsing into Foundation values would round large ids and reorder keys.
enum JSONFieldRedactor {
    /// - Returns: the redacted text, or `nil` when the text is not JSON or nothing matched.
    static func redact(_ text: String, paths: [JSONPath]) -> String? {
        guard !paths.isEmpty else { return nil }
        var scanner = Scanner(bytes: Array(text.utf8), paths: paths)
        scanner.skipWhitespace()
        guard scanner.value(), scanner.atEndAfterWhitespace(), scanner.changed else { return nil }
        return String(decoding: scanner.output, as: UTF8.self)
    }

    /// What ``redactDocument(_:paths:)`` made of a body.
    enum Outcome: Equatable {
        /// Not a JSON document (does not start with `{` or `[`), or nothing matched: keep the text.
        case unchanged
        case redacted(String)
        /// Starts like a JSON document but does not parse (cut short or broken): the paths cannot be found.
        case unparseable
    }

    /// Like ``redact(_:paths:)`` for a whole body, telling a document that does not parse from one that is not
    /// JSON at all: the first must not be stored when paths are configured.
    static func redactDocument(_ text: String, paths: [JSONPath]) -> Outcome {
        guard !paths.isEmpty,
              let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return .unchanged }
        var scanner = Scanner(bytes: Array(text.utf8), paths: paths)
        scanner.skipWhitespace()
        guard scanner.value(), scanner.atEndAfterWhitespace() else { return .unparseable }
        return scanner.changed ? .redacted(String(decoding: scanner.output, as: UTF8.self)) : .unchanged
    }

    private struct Scanner {
        let bytes: [UInt8]
        let paths: [JSONPath]
        var i = 0
        var output: [UInt8] = []
        var location: [JSONPathElement] = []
        var changed = false
        var depth = 0

        init(bytes: [UInt8], paths: [JSONPath]) {
            self.bytes = bytes
            self.paths = paths
            self.output.reserveCapacity(bytes.count)
        }

        mutating func skipWhitespace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
                output.append(bytes[i])
                i += 1
            }
        }

        mutating func atEndAfterWhitespace() -> Bool {
            skipWhitespace()
            return i == bytes.count
        }

        /// Copies (or redacts) one value at the current location.
        mutating func value() -> Bool {
            if !location.isEmpty, paths.contains(where: { $0.matches(location) }) {
                let start = output.count
                guard copyValue() else { return false }
                output.removeSubrange(start...)
                output.append(contentsOf: Array("\"\(Redactor.marker)\"".utf8))
                changed = true
                return true
            }
            return copyValue()
        }

        mutating func copyValue() -> Bool {
            guard i < bytes.count else { return false }
            depth += 1
            defer { depth -= 1 }
            guard depth < 512 else { return false }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                output.append(bytes[i]); i += 1
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { output.append(bytes[i]); i += 1; return true }
                while true {
                    skipWhitespace()
                    let keyStart = i
                    guard copyString() else { return false }
                    guard let key = decodeKey(bytes[keyStart..<i]) else { return false }
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return false }
                    output.append(bytes[i]); i += 1
                    skipWhitespace()
                    location.append(.key(key))
                    guard value() else { return false }
                    location.removeLast()
                    skipWhitespace()
                    guard i < bytes.count else { return false }
                    let c = bytes[i]
                    output.append(c); i += 1
                    if c == UInt8(ascii: "}") { return true }
                    guard c == UInt8(ascii: ",") else { return false }
                }
            case UInt8(ascii: "["):
                output.append(bytes[i]); i += 1
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { output.append(bytes[i]); i += 1; return true }
                var index = 0
                while true {
                    skipWhitespace()
                    location.append(.index(index))
                    guard value() else { return false }
                    location.removeLast()
                    index += 1
                    skipWhitespace()
                    guard i < bytes.count else { return false }
                    let c = bytes[i]
                    output.append(c); i += 1
                    if c == UInt8(ascii: "]") { return true }
                    guard c == UInt8(ascii: ",") else { return false }
                }
            case UInt8(ascii: "\""):
                return copyString()
            default:
                // Numbers and literals: copy up to the next structural character.
                let start = i
                while i < bytes.count {
                    let c = bytes[i]
                    if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]")
                        || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { break }
                    i += 1
                }
                guard i > start else { return false }
                output.append(contentsOf: bytes[start..<i])
                return true
            }
        }

        mutating func copyString() -> Bool {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return false }
            let start = i
            i += 1
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                i += 1
                if c == UInt8(ascii: "\"") {
                    output.append(contentsOf: bytes[start..<i])
                    return true
                }
            }
            return false
        }

        func decodeKey(_ quoted: ArraySlice<UInt8>) -> String? {
            if !quoted.contains(UInt8(ascii: "\\")) {
                return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self)
            }
            return try? JSONDecoder().decode(String.self, from: Data(quoted))
        }
    }
}
