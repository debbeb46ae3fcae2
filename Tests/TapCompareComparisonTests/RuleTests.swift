import Foundation
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

@Suite("diff rules applied")
struct RuleTests {
    @Test("ignore removes a field (and everything below it) from the comparison, and is counted")
    func ignore() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                ignore: [$.request_id, $..etag, "$.meta['trace-id']"]
            """)
        let comparator = Comparator(ruleSet: rules)
        let record = comparator.compare(Fixtures.exchange(
            legacy: Fixtures.response(#"{"request_id":"a","meta":{"trace-id":1},"replies":[{"etag":"x","s":1}]}"#),
            candidate: .response(Fixtures.response(#"{"request_id":"b","meta":{},"replies":[{"etag":"y","s":1}],"extra":1}"#), latency: .zero)
        ))
        #expect(record.discrepancies == [Discrepancy(path: "/extra", field: "$.extra", kind: .extraInCandidate, legacyValue: nil, candidateValue: "1")])
        let counts = Dictionary(uniqueKeysWithValues: comparator.ruleApplications.snapshot().map { ($0.rule.name, $0.applications) })
        #expect(counts == ["* ignore $.request_id": 1, "* ignore $..etag": 1, "* ignore $.meta['trace-id']": 1])
    }

    @Test("rules apply only to their routes; a rule that never matched stays at zero")
    func scoping() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: GET /api/v1/comments/{id}
                ignore: [$.score]
              - route: ["GET /api/v1/posts/{id}/comments"]
                ignore: [$.never_there]
            """)
        let comparator = Comparator(ruleSet: rules)
        let exchange = { (route: String, uri: String) in
            Fixtures.exchange(route: route, uri: uri, legacy: Fixtures.response(#"{"score":1}"#), candidate: .response(Fixtures.response(#"{"score":2}"#), latency: .zero))
        }
        #expect(comparator.compare(exchange("GET /api/v1/comments/{id}", "/api/v1/comments/7")).outcome == .match)
        #expect(comparator.compare(exchange("GET /api/v1/comments/{id}/replies", "/api/v1/comments/7/replies")).outcome == .mismatch)
        // Matched by the request path even when the proxy names the route differently.
        #expect(comparator.compare(exchange("comments-by-id", "/api/v1/comments/8")).outcome == .match)
        let snapshot = comparator.ruleApplications.snapshot()
        #expect(snapshot.map(\.applications) == [2, 0])
    }

    @Test("unordered arrays as multisets, and matched by key so a moved element is not a change")
    func unordered() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                unordered:
                  - $.tags
                  - path: $.replies
                    key: id
            """)
        #expect(Fixtures.diff(#"{"tags":["a","b","a"]}"#, #"{"tags":["b","a","a"]}"#, rules: rules).isEmpty)
        #expect(Fixtures.diff(#"{"tags":["a","b"]}"#, #"{"tags":["b","c"]}"#, rules: rules) == [
            Discrepancy(path: "/tags/0", field: "$.tags[*]", kind: .missingInCandidate, legacyValue: #""a""#, candidateValue: nil),
            Discrepancy(path: "/tags/1", field: "$.tags[*]", kind: .extraInCandidate, legacyValue: nil, candidateValue: #""c""#),
        ])
        let d = Fixtures.diff(
            #"{"replies":[{"id":1,"s":1},{"id":2,"s":2},{"id":3,"s":3}]}"#,
            #"{"replies":[{"id":3,"s":3},{"id":1,"s":1},{"id":2,"s":20}]}"#, rules: rules)
        #expect(d == [Discrepancy(path: "/replies/1/s", field: "$.replies[*].s", kind: .valueChanged, legacyValue: "2", candidateValue: "20")])
    }

    @Test("tolerance, absolute and relative")
    func tolerance() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                tolerance:
                  - {path: $.score, absolute: 0.5}
                  - {path: $..ratio, relative: 0.01}
            """)
        #expect(Fixtures.diff(#"{"score":10,"x":{"ratio":100}}"#, #"{"score":10.5,"x":{"ratio":100.9}}"#, rules: rules).isEmpty)
        #expect(Fixtures.diff(#"{"score":10,"x":{"ratio":100}}"#, #"{"score":10.6,"x":{"ratio":102}}"#, rules: rules).map(\.path) == ["/score", "/x/ratio"])
    }

    @Test("equivalent timestamps: RFC 3339 with any offset, epoch seconds and milliseconds are one instant")
    func timestamps() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                equivalent:
                  - {path: $..created_at, as: timestamp}
                  - {path: $.author, as: case_insensitive}
            """)
        let legacy = #"{"created_at":"2024-05-01T12:00:00Z","r":[{"created_at":1714564800}],"q":{"created_at":"2024-05-01T14:00:00.000+02:00"},"author":"Ann"}"#
        let candidate = #"{"created_at":"2024-05-01T14:00:00+02:00","r":[{"created_at":1714564800000}],"q":{"created_at":1714564800.0},"author":"ann"}"#
        #expect(Fixtures.diff(legacy, candidate, rules: rules).isEmpty)
        let off = Fixtures.diff(#"{"created_at":"2024-05-01T12:00:00Z"}"#, #"{"created_at":"2024-05-01T12:00:01Z"}"#, rules: rules)
        #expect(off.map(\.kind) == [.valueChanged])
        // Outside the rule's path nothing is equivalent.
        #expect(Fixtures.diff(#"{"updated_at":"2024-05-01T12:00:00Z"}"#, #"{"updated_at":"2024-05-01T14:00:00+02:00"}"#, rules: rules).count == 1)
    }

    @Test("replace rewrites strings on both sides before comparing")
    func replace() throws {
        let rules = try Fixtures.rules(#"""
            rules:
              - route: "*"
                replace:
                  - {path: $..body, pattern: '\s+$', with: ''}
                  - {path: $.url, pattern: '^https?://[^/]+', with: ''}
            """#)
        #expect(Fixtures.diff(#"{"body":"hi  ","url":"http://legacy.local/x"}"#, #"{"body":"hi","url":"https://new.svc/x"}"#, rules: rules).isEmpty)
        #expect(Fixtures.diff(#"{"body":"hi"}"#, #"{"body":"ho"}"#, rules: rules).count == 1)
    }

    @Test("status_equivalent treats the codes of a group as one")
    func statusEquivalent() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                status_equivalent: [404, 410]
            """)
        let comparator = Comparator(ruleSet: rules)
        let same = comparator.compare(Fixtures.exchange(legacy: Fixtures.response("{}", status: .notFound), candidate: .response(Fixtures.response("{}", status: .gone), latency: .zero)))
        #expect(same.outcome == .match)
        let other = comparator.compare(Fixtures.exchange(legacy: Fixtures.response("{}", status: .notFound), candidate: .response(Fixtures.response("{}", status: .ok), latency: .zero)))
        #expect(other.discrepancies.map(\.kind) == [.status])
        #expect(comparator.ruleApplications.snapshot().first?.applications == 1)
    }

    @Test("numbers: lexical flags a changed spelling; semantic (the default) does not")
    func lexical() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                numbers: lexical
            """)
        #expect(Fixtures.diff(#"{"score":1.0}"#, #"{"score":1}"#).isEmpty)
        #expect(Fixtures.diff(#"{"score":1.0}"#, #"{"score":1}"#, rules: rules) == [
            Discrepancy(path: "/score", field: "$.score", kind: .valueChanged, legacyValue: "1.0", candidateValue: "1")
        ])
        // In lexical mode a reordered array of differently spelled numbers is not mistaken for equal.
        #expect(Fixtures.diff("[1.0,2]", "[1,2]", rules: rules).map(\.path) == ["/0"])
    }

    @Test("compare_headers selects headers by name, case-insensitively")
    func compareHeaders() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                compare_headers: [Content-Type, Cache-Control]
            """)
        let comparator = Comparator(ruleSet: rules)
        let record = comparator.compare(Fixtures.exchange(
            legacy: Fixtures.response("{}", headers: [("content-type", "application/json"), ("cache-control", "no-cache")]),
            candidate: .response(Fixtures.response("{}", headers: [("content-type", "application/json"), ("Cache-Control", "max-age=60")]), latency: .zero)
        ))
        #expect(record.discrepancies == [Discrepancy(path: "", field: "header:cache-control", kind: .header, legacyValue: #""no-cache""#, candidateValue: #""max-age=60""#)])
    }

    @Test("ignore under an ordered array still aligns elements (a middle insertion stays one addition)")
    func ignoreInsideArrays() throws {
        let rules = try Fixtures.rules("""
            rules:
              - route: "*"
                ignore: ['$.replies[*].request_id']
            """)
        let d = Fixtures.diff(
            #"{"replies":[{"id":1,"request_id":"a"},{"id":2,"request_id":"b"},{"id":3,"request_id":"c"}]}"#,
            #"{"replies":[{"id":1,"request_id":"x"},{"id":9,"request_id":"y"},{"id":2,"request_id":"z"},{"id":3,"request_id":"w"}]}"#,
            rules: rules)
        #expect(d == [Discrepancy(path: "/replies/1", field: "$.replies[*]", kind: .extraInCandidate, legacyValue: nil, candidateValue: #"{"id":9,"request_id":"y"}"#)])
    }
}
