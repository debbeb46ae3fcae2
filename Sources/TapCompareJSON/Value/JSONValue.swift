/// A JSON value that keeps what `JSONSerialization` loses on Linux: every number's decimal text (so a 64-bit id
/// above 2^53 is never rounded), booleans distinct from numbers, and object members in document order
/// (duplicates included, so they can be reported).
///
/// Equality (``==``) is *semantic*: numbers by exact decimal value (`1.0 == 1`, `1e2 == 100`), strings by their
/// UTF-8 bytes (no Unicode normalization: a changed normalization form is a real difference on the wire),
/// object key order ignored, duplicate keys resolved by the last occurrence (as Python, JavaScript and Go read
/// them). Hashing is consistent with that equality.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type of a value, used for `type_changed` discrepancies and messages.
    public enum Kind: String, Sendable, Hashable {
        case null, boolean, number, string, array, object
    }

    /// This value's JSON type.
    @inlinable
    public var kind: Kind {
        switch self {
        case .null: return .null
        case .bool: return .boolean
        case .number: return .number
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }

    /// The member named `key` (the last occurrence when the key is duplicated), or `nil` for a missing key or a
    /// value that is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index`, or `nil` when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The string payload, or `nil`.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number payload, or `nil`.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// Convenience for building values in code and tests: an integer number.
    public static func integer(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { self.serialized() }
}
