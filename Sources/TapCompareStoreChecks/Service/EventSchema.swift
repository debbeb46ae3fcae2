import Foundation
import TapCompareCore
import TapCompareJSON

/// A JSON Schema file (`schema:` of a `redis_stream` check) describing what legacy's consumers read, for teams
/// that have one instead of letting the shape be learned from legacy's events.
///
/// The subset that decides whether a consumer can deserialize an event: `type` (one or a list), `required`,
/// `properties`, `additionalProperties: false`, `items`, `enum` and `const`. Other keywords are accepted and
/// ignored (`description`, `format`, …), so a real schema file loads; each violation is a `consumer_incompatible`
/// discrepancy at its path.
public struct EventSchema: Sendable {
    let root: JSONValue
    /// The file, for messages.
    public let file: String

    /// - Throws: ``StoreConfigurationError`` naming the file when it cannot be read or is not a JSON object.
    public init(file: String) throws(StoreConfigurationError) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw StoreConfigurationError("schema '\(file)': no such file; give the JSON Schema of legacy's events")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(data))
        } catch {
            throw StoreConfigurationError("schema '\(file)' is not JSON: \(error)")
        }
        guard case .object = value else { throw StoreConfigurationError("schema '\(file)' is not a JSON Schema object") }
        self.root = value
        self.file = file
    }

    /// Every place `event` breaks the schema.
    func violations(of event: JSONValue) -> [Discrepancy] {
        var found: [Discrepancy] = []
        Self.check(event, against: self.root, field: "$", pointer: "", into: &found)
        return found
    }

    private static func check(_ value: JSONValue, against schema: JSONValue, field: String, pointer: String, into found: inout [Discrepancy]) {
        func fail(_ expected: String, _ actual: JSONValue?) {
            found.append(Discrepancy(
                path: pointer, field: field, kind: .consumerIncompatible,
                legacyValue: JSONValue.quoted(expected), candidateValue: actual.map { $0.serialized() }
            ))
        }
        if let type = schema["type"] {
            let allowed: [String] = type.stringValue.map { [$0] } ?? (type.arrayElements ?? []).compactMap(\.stringValue)
            if !allowed.isEmpty, !allowed.contains(where: { Self.matches(value, type: $0) }) {
                fail("type " + allowed.joined(separator: "|"), .string(Self.typeName(value)))
                return
            }
        }
        if let options = schema["enum"]?.arrayElements, !options.contains(value) {
            fail("one of " + options.map { $0.serialized() }.joined(separator: ", "), value)
        }
        if let constant = schema["const"], constant != value {
            fail("const " + constant.serialized(), value)
        }
        if case .object(let object) = value {
            for name in (schema["required"]?.arrayElements ?? []).compactMap(\.stringValue) where object[name] == nil {
                found.append(Discrepancy(
                    path: pointer + "/" + Self.escaped(name), field: field + "." + name, kind: .consumerIncompatible,
                    legacyValue: JSONValue.quoted("required"), candidateValue: nil
                ))
            }
            let properties = schema["properties"]
            for member in object.members {
                if let sub = properties?[member.key] {
                    Self.check(member.value, against: sub, field: field + "." + member.key, pointer: pointer + "/" + Self.escaped(member.key), into: &found)
                } else if schema["additionalProperties"] == .bool(false) {
                    found.append(Discrepancy(
                        path: pointer + "/" + Self.escaped(member.key), field: field + "." + member.key, kind: .consumerIncompatible,
                        legacyValue: nil, candidateValue: member.value.serialized()
                    ))
                }
            }
        }
        if case .array(let elements) = value, let items = schema["items"], case .object = items {
            for (index, element) in elements.enumerated() {
                Self.check(element, against: items, field: field + "[*]", pointer: pointer + "/\(index)", into: &found)
            }
        }
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            return true
        case ("integer", .number(let n)):
            return !n.text.contains(".") && !n.text.lowercased().contains("e")
        default:
            return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func escaped(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension JSONValue {
    fileprivate var arrayElements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}
