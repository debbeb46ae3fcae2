import Foundation
import Synchronization
import TapCompareCore
import TapCompareJSON

/// What legacy's change-data-capture events look like, learned from the events the checks read: each field's
/// path, the JSON types it had, and in how many events it appeared.
///
/// Legacy's consumers were written against these events, so a candidate event they cannot read is one that
/// lacks a field every legacy event had, or carries a field with a type legacy's events never had. That is its
/// own finding (`consumer_incompatible`), apart from the field diff: a renamed key or a number sent as a string
/// is a broken consumer, whatever the rules say about the values.
struct EventShape: Sendable {
    struct Field: Sendable {
        var count = 0
        var kinds: Set<JSONValue.Kind> = []
        var pointer: String
    }

    private(set) var events = 0
    private(set) var fields: [String: Field] = [:]

    /// Adds one legacy event.
    mutating func learn(_ event: JSONValue) {
        self.events += 1
        Self.walk(event, field: "$", pointer: "") { field, pointer, value in
            self.fields[field, default: Field(pointer: pointer)].count += 1
            self.fields[field, default: Field(pointer: pointer)].kinds.insert(value.kind)
        }
    }

    /// What legacy's consumers could not read in `event`: fields every legacy event had that it lacks, and
    /// fields whose type legacy's events never had. Sorted by field.
    func incompatibilities(of event: JSONValue) -> [Discrepancy] {
        guard self.events > 0 else { return [] }
        var seen: [String: JSONValue.Kind] = [:]
        Self.walk(event, field: "$", pointer: "") { field, _, value in seen[field] = value.kind }
        var found: [Discrepancy] = []
        for (field, shape) in self.fields.sorted(by: { $0.key < $1.key }) {
            let expected = shape.kinds.map(\.rawValue).sorted().joined(separator: "|")
            if let kind = seen[field] {
                // null where legacy never had null is also unreadable for a strict consumer.
                if !shape.kinds.contains(kind) {
                    found.append(Discrepancy(
                        path: shape.pointer, field: field, kind: .consumerIncompatible,
                        legacyValue: JSONValue.quoted(expected), candidateValue: JSONValue.quoted(kind.rawValue)
                    ))
                }
            } else if shape.count == self.events, Self.parentPresent(field, in: seen) {
                found.append(Discrepancy(
                    path: shape.pointer, field: field, kind: .consumerIncompatible,
                    legacyValue: JSONValue.quoted(expected), candidateValue: nil
                ))
            }
        }
        return found
    }

    /// A required field under a missing object is reported once, at the object.
    private static func parentPresent(_ field: String, in seen: [String: JSONValue.Kind]) -> Bool {
        guard let dot = field.lastIndex(of: "."), field[..<dot] != "$" else { return true }
        return seen[String(field[..<dot])] != nil
    }

    /// Every member of every object, depth first; array elements share the field `name[*]`.
    private static func walk(_ value: JSONValue, field: String, pointer: String, _ visit: (String, String, JSONValue) -> Void) {
        switch value {
        case .object(let object):
            for member in object.members {
                let name = field + "." + member.key
                let path = pointer + "/" + member.key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                visit(name, path, member.value)
                Self.walk(member.value, field: name, pointer: path, visit)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() where element.kind == .object {
                Self.walk(element, field: field + "[*]", pointer: pointer + "/\(index)", visit)
            }
        default:
            break
        }
    }
}

/// Each `redis_stream` store's learned ``EventShape``.
final class EventShapes: Sendable {
    private let shapes = Mutex<[String: EventShape]>([:])

    func learn(store: String, _ event: JSONValue) {
        self.shapes.withLock { $0[store, default: EventShape()].learn(event) }
    }

    func incompatibilities(store: String, of event: JSONValue) -> [Discrepancy] {
        self.shapes.withLock { $0[store] }?.incompatibilities(of: event) ?? []
    }
}
