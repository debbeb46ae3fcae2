/// A JSON object: its members in document order, duplicates included.
///
/// A duplicate key is not a parse error — RFC 8259 only says names SHOULD be unique and JSONTestSuite's
/// `y_object_duplicated_key` must be accepted — but it is recorded (``hasDuplicateKeys``) so the comparison can
/// report it. Lookups and comparisons use the *last* occurrence, which is what Python's `json`, JavaScript's
/// `JSON.parse` and Go's `encoding/json` hand to a client.
public struct JSONObject: Sendable {
    public struct Member: Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Members in document order.
    public var members: [Member]
    /// Whether some key occurs more than once.
    public private(set) var hasDuplicateKeys: Bool

    public init(_ members: [Member] = []) {
        self.members = members
        self.hasDuplicateKeys = JSONObject.containsDuplicates(members)
    }

    init(members: [Member], hasDuplicateKeys: Bool) {
        self.members = members
        self.hasDuplicateKeys = hasDuplicateKeys
    }

    public var count: Int { self.members.count }

    /// The index of the last member named `key`, comparing UTF-8 bytes.
    public func lastIndex(of key: String) -> Int? {
        var i = self.members.count - 1
        while i >= 0 {
            if self.members[i].key.hasSameBytes(as: key) { return i }
            i -= 1
        }
        return nil
    }

    /// The value of the last member named `key`.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = self.lastIndex(of: key) else { return nil }
            return self.members[i].value
        }
        set {
            if let i = self.lastIndex(of: key) {
                if let newValue {
                    self.members[i].value = newValue
                } else {
                    // Remove every occurrence so the key is really gone.
                    self.members.removeAll { $0.key.utf8.elementsEqual(key.utf8) }
                    self.hasDuplicateKeys = JSONObject.containsDuplicates(self.members)
                }
            } else if let newValue {
                self.members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// The members a client sees: one per key, the last occurrence, in the order of first appearance.
    public var effectiveMembers: [Member] {
        guard self.hasDuplicateKeys else { return self.members }
        var result: [Member] = []
        var position: [String: Int] = [:]
        for member in self.members {
            if let p = position[member.key], result[p].key.utf8.elementsEqual(member.key.utf8) {
                result[p].value = member.value
            } else {
                position[member.key] = result.count
                result.append(member)
            }
        }
        return result
    }

    /// Keys that occur more than once, in order of their second appearance.
    public var duplicateKeys: [String] {
        guard self.hasDuplicateKeys else { return [] }
        var seen = Set<[UInt8]>()
        var duplicates: [String] = []
        for member in self.members where !seen.insert(Array(member.key.utf8)).inserted {
            if !duplicates.contains(where: { $0.utf8.elementsEqual(member.key.utf8) }) { duplicates.append(member.key) }
        }
        return duplicates
    }

    static func containsDuplicates(_ members: [Member]) -> Bool {
        let n = members.count
        if n < 2 { return false }
        if n <= 12 {
            for i in 1..<n {
                let key = members[i].key
                for j in 0..<i where members[j].key.hasSameBytes(as: key) { return true }
            }
            return false
        }
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(n)
        for member in members where !seen.insert(Array(member.key.utf8)).inserted { return true }
        return false
    }
}
