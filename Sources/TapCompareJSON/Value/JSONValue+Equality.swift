extension JSONValue: Hashable {
    /// Semantic equality: exact numeric value, string bytes, key order ignored, last duplicate wins.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.hasSameBytes(as: b)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            if sameStorage(a, b) { return true }
            for i in a.indices where !(a[i] == b[i]) { return false }
            return true
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b ? 1 : 2)
        case .number(let n):
            hasher.combine(3)
            hasher.combine(n)
        case .string(let s):
            hasher.combine(4)
            for c in s.utf8 { hasher.combine(c) }
            hasher.combine(s.utf8.count)
        case .array(let elements):
            hasher.combine(5)
            hasher.combine(elements.count)
            for e in elements { hasher.combine(e) }
        case .object(let object):
            hasher.combine(6)
            // Order-independent: combine member hashes commutatively.
            var sum = 0
            let members = object.effectiveMembers
            for m in members {
                var h = Hasher()
                for c in m.key.utf8 { h.combine(c) }
                h.combine(m.value)
                sum = sum &+ h.finalize()
            }
            hasher.combine(members.count)
            hasher.combine(sum)
        }
    }
}

extension JSONObject: Equatable {
    /// Same keys with semantically equal values (order ignored, last duplicate wins).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        if sameStorage(lhs.members, rhs.members) { return true }
        if !lhs.hasDuplicateKeys && !rhs.hasDuplicateKeys {
            guard lhs.members.count == rhs.members.count else { return false }
            // Fast path: same key order.
            var sameOrder = true
            for i in lhs.members.indices where !lhs.members[i].key.hasSameBytes(as: rhs.members[i].key) {
                sameOrder = false
                break
            }
            if sameOrder {
                for i in lhs.members.indices where !(lhs.members[i].value == rhs.members[i].value) { return false }
                return true
            }
            for member in lhs.members {
                guard let other = rhs.lastIndex(of: member.key), rhs.members[other].value == member.value else { return false }
            }
            return true
        }
        let a = lhs.effectiveMembers
        let b = JSONObject(members: rhs.effectiveMembers, hasDuplicateKeys: false)
        guard a.count == b.members.count else { return false }
        for member in a {
            guard let other = b.lastIndex(of: member.key), b.members[other].value == member.value else { return false }
        }
        return true
    }
}

extension JSONValue {
    /// Whether both are arrays, or both objects, backed by the same storage, as the parts of a document taken
    /// from its guide are (``JSONParser/parseSimilarDocuments(_:_:options:)``): such values are equal, and so is
    /// everything inside them, which a comparison can then skip without walking it.
    public func sharesStorage(with other: JSONValue) -> Bool {
        switch (self, other) {
        case (.array(let a), .array(let b)): return sameStorage(a, b)
        case (.object(let a), .object(let b)): return sameStorage(a.members, b.members)
        default: return false
        }
    }
}

/// Whether two arrays are one buffer (copies of one array that neither side has changed since).
@inline(__always)
func sameStorage<Element>(_ a: [Element], _ b: [Element]) -> Bool {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress && x.count == y.count } }
}
