/// One step from a JSON value to a child: an object member or an array element.
public enum JSONPathElement: Sendable, Hashable {
    case key(String)
    case index(Int)
}

extension Array where Element == JSONPathElement {
    /// The RFC 6901 JSON Pointer text for these steps (`/replies/3/score`, `""` for the root).
    public var jsonPointer: String {
        var out: [UInt8] = []
        out.reserveCapacity(self.count * 8)
        for element in self {
            out.append(UInt8(ascii: "/"))
            switch element {
            case .index(let i): out.append(contentsOf: String(i).utf8)
            case .key(let k):
                for c in k.utf8 {
                    switch c {
                    case UInt8(ascii: "~"): out.append(contentsOf: [UInt8(ascii: "~"), UInt8(ascii: "0")])
                    case UInt8(ascii: "/"): out.append(contentsOf: [UInt8(ascii: "~"), UInt8(ascii: "1")])
                    default: out.append(c)
                    }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

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
