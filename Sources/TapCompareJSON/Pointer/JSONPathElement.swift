/// One step from a JSON value to a child: an object member or an array element.
public enum JSONPathElement: Sendable, Hashable {
    case key(String)
    case index(Int)
}

extension Array where Element == JSONPathElement {
    /// The RFC 6901 JSON Pointer text for these steps (`/replies/3/score`, `""` for the root).
    public var jsonPointer: String { JSONPointer(elements: self).description }

    /// The steps with array indices collapsed, for grouping: `$.replies[*].score`. Keys that are not plain
    /// identifiers are bracketed (`$['content-type']`).
    public var collapsedField: String {
        var out = "$"
        for element in self {
            switch element {
            case .index: out += "[*]"
            case .key(let k): JSONPath.appendKey(k, to: &out)
            }
        }
        return out
    }
}
