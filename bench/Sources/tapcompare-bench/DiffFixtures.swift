import TapCompareJSON

/// Deterministic comment-service documents for the diff benchmark: a post's comments with nested replies,
/// the shape of `GET /api/v1/posts/{id}/comments`.
struct DiffFixtures {
    /// SplitMix64, so every run benchmarks the same bytes.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    var rng = Random(state: 2024)

    mutating func comment(depth: Int) -> JSONValue {
        let id = Int.random(in: 1_000_000_000_000...9_007_199_254_740_993, using: &self.rng)
        let words = ["great", "post", "thanks", "I", "disagree", "with", "the", "second", "point", "é", "see", "docs"]
        let body = (0..<Int.random(in: 4...24, using: &self.rng)).map { _ in words.randomElement(using: &self.rng)! }.joined(separator: " ")
        var members: [JSONObject.Member] = [
            .init(key: "id", value: .integer(id)),
            .init(key: "post_id", value: 4242),
            .init(key: "body", value: .string(body)),
            .init(key: "author", value: [
                "id": .integer(Int.random(in: 1...100_000, using: &self.rng)),
                "handle": .string("User\(Int.random(in: 1...9999, using: &self.rng))"),
                "name": "A. Commenter",
            ]),
            .init(key: "created_at", value: "2024-05-01T12:00:00Z"),
            .init(key: "updated_at", value: "2024-05-02T08:30:15.250Z"),
            .init(key: "score", value: .number(JSONNumber("\(Int.random(in: 0...500, using: &self.rng)).\(Int.random(in: 10...99, using: &self.rng))")!)),
            .init(key: "deleted", value: false),
            .init(key: "trace_id", value: .string(String(Int.random(in: 0...Int.max, using: &self.rng), radix: 16))),
        ]
        let replies = depth > 0 ? Int.random(in: 0...3, using: &self.rng) : 0
        members.append(.init(key: "replies", value: .array((0..<replies).map { _ in self.comment(depth: depth - 1) })))
        return .object(JSONObject(members))
    }

    /// A response of about `targetBytes` serialized bytes.
    mutating func document(targetBytes: Int) -> JSONValue {
        var comments: [JSONValue] = []
        var size = 64
        while size < targetBytes {
            let c = self.comment(depth: targetBytes > 4096 ? 2 : 0)
            size += c.serialized().utf8.count + 1
            comments.append(c)
        }
        if comments.count > 1, size > targetBytes + targetBytes / 4 { comments.removeLast() }
        return [
            "request_id": "7f9c2ba4-e88f-11ee-a3c2-0242ac120002",
            "post_id": 4242,
            "comments": .array(comments),
        ]
    }

    /// `value` with `fraction` of its scalar fields (at least one) changed: numbers get a digit appended,
    /// strings an `x`, booleans flipped.
    mutating func changing(_ value: JSONValue, fraction: Double) -> (JSONValue, Int) {
        func scalars(_ v: JSONValue) -> Int {
            switch v {
            case .object(let o): return o.members.reduce(0) { $0 + scalars($1.value) }
            case .array(let a): return a.reduce(0) { $0 + scalars($1) }
            default: return 1
            }
        }
        let total = scalars(value)
        let wanted = max(1, Int((Double(total) * fraction).rounded()))
        var chosen = Set<Int>()
        while chosen.count < wanted { chosen.insert(Int.random(in: 0..<total, using: &self.rng)) }
        var position = 0
        func walk(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let o):
                return .object(JSONObject(o.members.map { .init(key: $0.key, value: walk($0.value)) }))
            case .array(let a):
                return .array(a.map(walk))
            default:
                defer { position += 1 }
                guard chosen.contains(position) else { return v }
                switch v {
                case .number(let n): return .number(JSONNumber("\(n.text)1")!)
                case .string(let s): return .string(s + "x")
                case .bool(let b): return .bool(!b)
                default: return 1
                }
            }
        }
        return (walk(value), wanted)
    }

    /// The same document with every object's keys in reverse order: equal content, different bytes.
    static func reordered(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o): return .object(JSONObject(o.members.reversed().map { .init(key: $0.key, value: reordered($0.value)) }))
        case .array(let a): return .array(a.map(reordered))
        default: return value
        }
    }

    /// Ten rules of the kinds a comment-service migration uses.
    static let tenRules = #"""
        rules:
          - route: GET /api/v1/posts/{id}/comments
            ignore: [$.request_id, $..trace_id, $..etag]
            equivalent:
              - {path: $..created_at, as: timestamp}
              - {path: $..updated_at, as: timestamp}
              - {path: $..author.handle, as: case_insensitive}
            tolerance:
              - {path: $..score, absolute: 0.001}
            unordered:
              - {path: $..replies, key: id}
            replace:
              - {path: $..body, pattern: '\s+$', with: ''}
            status_equivalent: [404, 410]
        """#
}
