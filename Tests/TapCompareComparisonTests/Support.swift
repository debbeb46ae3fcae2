import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// Locates `<repo>/../shared/testdata` from this source file.
enum TestData {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/testdata")
    static let repo: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A deterministic random generator (SplitMix64) so random-document tests are reproducible from their seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    static func response(_ body: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = [("content-type", "application/json")]) -> ResponseSnapshot {
        ResponseSnapshot(status: status, headers: HTTPHeaders(headers), body: ByteBuffer(string: body))
    }

    static func exchange(
        route: String = "GET /api/v1/comments/{id}", uri: String = "/api/v1/comments/1", method: HTTPMethod = .GET,
        legacy: ResponseSnapshot, candidate: CandidateResult
    ) -> Exchange {
        Exchange(
            requestID: "req-1", route: route,
            request: RequestSnapshot(method: method, uri: uri, headers: HTTPHeaders()),
            legacy: legacy, legacyLatency: .milliseconds(3), candidate: candidate
        )
    }

    static func rules(_ yaml: String) throws -> RuleSet {
        try RuleSetLoader.load(sources: [(name: "test.yml", text: yaml)])
    }

    /// Compares two JSON bodies under a rule set for a route.
    static func diff(_ legacy: String, _ candidate: String, rules: RuleSet = .empty, route: String = "GET /api/v1/comments/{id}", uri: String = "/api/v1/comments/1") -> [Discrepancy] {
        let comparator = Comparator(ruleSet: rules)
        let record = comparator.compare(
            exchange(route: route, uri: uri, legacy: response(legacy), candidate: .response(response(candidate), latency: .milliseconds(4)))
        )
        return record.discrepancies
    }

    /// Reads a discrepancy list as an RFC 6902 patch.
    static func patch(_ discrepancies: [Discrepancy]) throws -> JSONPatch {
        // `duplicate_key` is no operation: the members compare by their last occurrence.
        try JSONPatch(discrepancies.filter { $0.kind != .duplicateKey }.map { d -> JSONPatch.Operation in
            let path = try JSONPointer(parsing: d.path)
            switch d.kind {
            case .missingInCandidate: return .remove(path: path)
            case .extraInCandidate: return .add(path: path, value: try JSONValue(parsing: d.candidateValue ?? "null"))
            default: return .replace(path: path, value: try JSONValue(parsing: d.candidateValue ?? "null"))
            }
        })
    }

    /// A comment tree like the comment service's: ids, bodies, authors, timestamps, scores and nested replies.
    static func commentTree(_ rng: inout SeededRandom, depth: Int = 2, replies: Int = 3) -> JSONValue {
        let id = Int.random(in: 1...9_999_999_999_999, using: &rng)
        var members: [JSONObject.Member] = [
            .init(key: "id", value: .integer(id)),
            .init(key: "body", value: .string("comment \(id) with ünïcode and \"quotes\"")),
            .init(key: "author", value: ["id": .integer(Int.random(in: 1...1000, using: &rng)), "name": .string("user\(Int.random(in: 1...99, using: &rng))")]),
            .init(key: "created_at", value: "2024-05-01T12:00:00Z"),
            .init(key: "score", value: .number(JSONNumber("\(Int.random(in: -5...500, using: &rng)).\(Int.random(in: 0...9, using: &rng))")!)),
            .init(key: "deleted", value: .bool(Bool.random(using: &rng))),
            .init(key: "parent_id", value: .null),
        ]
        if depth > 0 {
            members.append(.init(key: "replies", value: .array((0..<replies).map { _ in commentTree(&rng, depth: depth - 1, replies: replies) })))
        }
        return .object(JSONObject(members))
    }

    /// A random JSON document of bounded depth.
    static func randomValue(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        let choice = Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &rng)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer(Int.random(in: -3...3, using: &rng))
        case 3: return .number(JSONNumber(["1.5", "1e400", "9007199254740993", "-0.0", "2E-3"].randomElement(using: &rng)!)!)
        case 4: return .string(["a", "b", "é", "~/", ""].randomElement(using: &rng)!)
        case 5, 6:
            let keys = ["a", "b", "c", "d/e", "f~g"].shuffled(using: &rng).prefix(Int.random(in: 0...4, using: &rng))
            return .object(JSONObject(keys.map { JSONObject.Member(key: $0, value: randomValue(&rng, depth: depth - 1)) }))
        default:
            return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(&rng, depth: depth - 1) })
        }
    }

    /// `value` with a few random edits: changed scalars, removed and inserted members and elements, reorders.
    static func mutate(_ value: JSONValue, _ rng: inout SeededRandom, rate: Double) -> JSONValue {
        if Double.random(in: 0..<1, using: &rng) < rate / 3 { return randomValue(&rng, depth: 2) }
        switch value {
        case .object(let o):
            var members = o.members.compactMap { m -> JSONObject.Member? in
                if Double.random(in: 0..<1, using: &rng) < rate / 4 { return nil }
                return .init(key: m.key, value: mutate(m.value, &rng, rate: rate))
            }
            if Double.random(in: 0..<1, using: &rng) < rate / 4 {
                let key = ["x", "y", "a", "b"].randomElement(using: &rng)!
                if !members.contains(where: { $0.key == key }) { members.append(.init(key: key, value: randomValue(&rng, depth: 1))) }
            }
            if Double.random(in: 0..<1, using: &rng) < rate { members.shuffle(using: &rng) }
            return .object(JSONObject(members))
        case .array(let a):
            var elements = a.compactMap { e -> JSONValue? in
                if Double.random(in: 0..<1, using: &rng) < rate / 4 { return nil }
                return mutate(e, &rng, rate: rate)
            }
            if Double.random(in: 0..<1, using: &rng) < rate / 3 {
                elements.insert(randomValue(&rng, depth: 1), at: Int.random(in: 0...elements.count, using: &rng))
            }
            if Double.random(in: 0..<1, using: &rng) < rate / 6 { elements.shuffle(using: &rng) }
            return .array(elements)
        default:
            return value
        }
    }
}

/// Collects records in memory.
final class RecordingSink: ComparisonRecordSink {
    private let stored = NIOLockedValueBox<[ComparisonRecord]>([])
    func record(_ record: ComparisonRecord) { self.stored.withLockedValue { $0.append(record) } }
    var records: [ComparisonRecord] { self.stored.withLockedValue { $0 } }
}
