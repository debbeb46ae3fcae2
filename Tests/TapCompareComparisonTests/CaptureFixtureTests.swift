import Foundation
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

/// The comment-service capture in `fixtures/comments.capture.jsonl`: real-shaped pairs of legacy and candidate bodies.
@Suite("capture fixtures")
struct CaptureFixtureTests {
    struct Pair {
        var route: String
        var uri: String
        var legacy: JSONValue
        var candidate: JSONValue
    }

    /// Every exchange whose legacy and candidate bodies are both JSON (read with our own parser).
    static func pairs() throws -> [Pair] {
        let url = TestData.repo.appendingPathComponent("fixtures/comments.capture.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        func body(_ value: JSONValue?) -> JSONValue? {
            guard let value, case .string(let data)? = value["data"] else { return nil }
            let bytes: [UInt8]
            if value["encoding"] == "base64" {
                guard let decoded = Data(base64Encoded: data) else { return nil }
                bytes = Array(decoded)
            } else {
                bytes = Array(data.utf8)
            }
            return try? JSONValue(parsing: bytes)
        }
        var pairs: [Pair] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let record = try JSONValue(parsing: String(line))
            guard case .string(let route)? = record["route"], case .string(let uri)? = record["request"]?["uri"],
                let l = body(record["legacy"]?["body"]), let c = body(record["candidate"]?["response"]?["body"])
            else { continue }
            pairs.append(Pair(route: route, uri: uri, legacy: l, candidate: c))
        }
        return pairs
    }

    @Test("with no rules, every fixture pair's discrepancies patch legacy into candidate")
    func roundTrip() throws {
        let pairs = try Self.pairs()
        #expect(pairs.count > 100)
        let comparator = Comparator()
        for pair in pairs {
            let d = comparator.diff(pair.legacy, pair.candidate, rules: .none)
            #expect(try d.jsonPatch.apply(to: pair.legacy) == pair.candidate, "\(pair.route) \(pair.uri)")
        }
    }

    @Test("the shipped rules remove the timestamp noise and keep the candidate's regressions")
    func shippedRules() throws {
        let rules = try RuleSetLoader.load(directory: TestData.repo.appendingPathComponent("diff-rules").path)
        let comparator = Comparator(ruleSet: rules)
        var kindsByRoute: [String: Set<DiscrepancyKind>] = [:]
        var timestampFields = 0
        for pair in try Self.pairs() {
            let path = pair.uri.split(separator: "?").first.map(String.init) ?? pair.uri
            let method = String(pair.route.split(separator: " ").first ?? "GET")
            let routeRules = rules.routeRules(route: pair.route, method: method, path: Substring(path))
            for d in comparator.diff(pair.legacy, pair.candidate, rules: routeRules) {
                kindsByRoute[pair.route, default: []].insert(d.kind)
                if d.field.hasSuffix("created_at") || d.field.hasSuffix("updated_at") { timestampFields += 1 }
            }
        }
        // `Z` versus `+00:00` is the same instant: no timestamp discrepancy survives the rules.
        #expect(timestampFields == 0)
        // `score` sent as a string in post listings is a type change.
        #expect(kindsByRoute["GET /api/v1/posts/{id}/comments"]?.contains(.typeChanged) == true)
        // Nested replies oldest-first in single-comment trees are a reordering.
        #expect(kindsByRoute["GET /api/v1/comments/{id}"]?.contains(.arrayOrder) == true)
        // `reply_count` dropped from replies listings is reported missing.
        #expect(kindsByRoute["GET /api/v1/comments/{id}/replies"]?.contains(.missingInCandidate) == true)
        // Rules that applied are counted.
        #expect(comparator.ruleApplications.snapshot().contains { $0.applications > 0 })
    }
}
