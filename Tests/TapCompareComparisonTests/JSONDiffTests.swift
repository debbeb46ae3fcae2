import Foundation
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

@Suite("JSON discrepancies")
struct JSONDiffTests {
    @Test("equal documents with other key order and number spelling match")
    func equal() {
        #expect(Fixtures.diff(#"{"id":1,"score":1.0,"tags":["a"]}"#, #"{"tags":["a"],"score":1e0,"id":1}"#).isEmpty)
    }

    @Test("value_changed with pointer, collapsed field and JSON values")
    func valueChanged() throws {
        let d = Fixtures.diff(#"{"replies":[{"score":1},{"score":2},{"score":3},{"score":4}]}"#, #"{"replies":[{"score":1},{"score":2},{"score":3},{"score":5}]}"#)
        #expect(d == [Discrepancy(path: "/replies/3/score", field: "$.replies[*].score", kind: .valueChanged, legacyValue: "4", candidateValue: "5")])
    }

    @Test("1 versus true is a type change, not equal")
    func oneVersusTrue() {
        let d = Fixtures.diff(#"{"deleted":1}"#, #"{"deleted":true}"#)
        #expect(d == [Discrepancy(path: "/deleted", field: "$.deleted", kind: .typeChanged, legacyValue: "1", candidateValue: "true")])
    }

    @Test("ids beyond 2^53 that a Double would merge are reported")
    func bigNumbers() {
        let d = Fixtures.diff(#"{"id":9007199254740993}"#, #"{"id":9007199254740992}"#)
        #expect(d.map(\.kind) == [.valueChanged])
        #expect(d.first?.legacyValue == "9007199254740993")
        #expect(d.first?.candidateValue == "9007199254740992")
    }

    @Test("missing and extra members; escaped keys in pointers")
    func missingAndExtra() {
        let d = Fixtures.diff(#"{"a/b":1,"keep":2}"#, #"{"keep":2,"m~n":3}"#)
        #expect(Set(d) == [
            Discrepancy(path: "/a~1b", field: "$['a/b']", kind: .missingInCandidate, legacyValue: "1", candidateValue: nil),
            Discrepancy(path: "/m~0n", field: "$['m~n']", kind: .extraInCandidate, legacyValue: nil, candidateValue: "3"),
        ])
    }

    @Test("an element inserted in the middle is one addition")
    func middleInsertion() {
        let legacy = #"{"replies":[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]}"#
        let candidate = #"{"replies":[{"id":1},{"id":2},{"id":99},{"id":3},{"id":4},{"id":5}]}"#
        #expect(Fixtures.diff(legacy, candidate) == [
            Discrepancy(path: "/replies/2", field: "$.replies[*]", kind: .extraInCandidate, legacyValue: nil, candidateValue: #"{"id":99}"#)
        ])
        #expect(Fixtures.diff(candidate, legacy) == [
            Discrepancy(path: "/replies/2", field: "$.replies[*]", kind: .missingInCandidate, legacyValue: #"{"id":99}"#, candidateValue: nil)
        ])
    }

    @Test("a removed element next to a changed one: the change is reported per field")
    func removalAndChange() throws {
        let legacy = #"[{"id":1,"s":1},{"id":2,"s":2},{"id":3,"s":3},{"id":4,"s":4}]"#
        let candidate = #"[{"id":1,"s":1},{"id":3,"s":30},{"id":4,"s":4}]"#
        let d = Fixtures.diff(legacy, candidate)
        #expect(Set(d) == [
            Discrepancy(path: "/2/s", field: "$[*].s", kind: .valueChanged, legacyValue: "3", candidateValue: "30"),
            Discrepancy(path: "/1", field: "$[*]", kind: .missingInCandidate, legacyValue: #"{"id":2,"s":2}"#, candidateValue: nil),
        ])
        #expect(try Fixtures.patch(d).apply(to: JSONValue(parsing: legacy)) == JSONValue(parsing: candidate))
    }

    @Test("the same elements in another order are one array_order")
    func arrayOrder() {
        let d = Fixtures.diff(#"{"tags":["a","b","c"]}"#, #"{"tags":["c","a","b"]}"#)
        #expect(d == [Discrepancy(path: "/tags", field: "$.tags", kind: .arrayOrder, legacyValue: #"["a","b","c"]"#, candidateValue: #"["c","a","b"]"#)])
    }

    @Test("a listing reordered with changed elements is one array_order plus the field changes, aligned by id")
    func reorderedWithChanges() throws {
        let legacy = #"{"comments":[{"id":1,"text":"a","score":1},{"id":2,"text":"b","score":2},{"id":3,"text":"c","score":3},{"id":4,"text":"d","score":4}]}"#
        let candidate = #"{"comments":[{"id":3,"text":"c","score":30},{"id":1,"text":"a","score":1},{"id":4,"text":"D","score":4},{"id":2,"text":"b","score":2}]}"#
        let d = Fixtures.diff(legacy, candidate)
        #expect(d.filter { $0.kind != .arrayOrder } == [
            Discrepancy(path: "/comments/2/score", field: "$.comments[*].score", kind: .valueChanged, legacyValue: "3", candidateValue: "30"),
            Discrepancy(path: "/comments/3/text", field: "$.comments[*].text", kind: .valueChanged, legacyValue: #""d""#, candidateValue: #""D""#),
        ])
        #expect(d.filter { $0.kind == .arrayOrder }.map(\.path) == ["/comments"])
        #expect(!d.contains { $0.kind == .missingInCandidate || $0.kind == .extraInCandidate })
        #expect(try Fixtures.patch(d).apply(to: JSONValue(parsing: legacy)) == JSONValue(parsing: candidate))
    }

    @Test("identity alignment: uuid and key are identities too; one-sided identities are missing or extra")
    func identityKinds() throws {
        let legacy = #"[{"uuid":"u1","v":1},{"uuid":"u2","v":2},{"uuid":"u3","v":3}]"#
        let candidate = #"[{"uuid":"u4","v":4},{"uuid":"u3","v":3},{"uuid":"u1","v":10}]"#
        let d = Fixtures.diff(legacy, candidate)
        let (whole, wholeCandidate) = (try JSONValue(parsing: legacy).serialized(), try JSONValue(parsing: candidate).serialized())
        #expect(d == [
            Discrepancy(path: "/0/v", field: "$[*].v", kind: .valueChanged, legacyValue: "1", candidateValue: "10"),
            Discrepancy(path: "/1", field: "$[*]", kind: .missingInCandidate, legacyValue: #"{"uuid":"u2","v":2}"#, candidateValue: nil),
            Discrepancy(path: "/0", field: "$[*]", kind: .extraInCandidate, legacyValue: nil, candidateValue: #"{"uuid":"u4","v":4}"#),
            Discrepancy(path: "", field: "$", kind: .arrayOrder, legacyValue: whole, candidateValue: wholeCandidate),
        ])
        #expect(try Fixtures.patch(d).apply(to: JSONValue(parsing: legacy)) == JSONValue(parsing: candidate))
        let keyed = Fixtures.diff(#"[{"key":"a","n":1},{"key":"b","n":2}]"#, #"[{"key":"b","n":3},{"key":"a","n":1}]"#)
        #expect(keyed.map(\.kind) == [.valueChanged, .arrayOrder])
        #expect(keyed.first?.path == "/1/n")
    }

    @Test("identity_keys in the rules names the identity; [] turns identity alignment off; unordered still wins")
    func configuredIdentityKeys() throws {
        let legacy = #"{"items":[{"sku":"a","n":1},{"sku":"b","n":2},{"sku":"c","n":3}]}"#
        let candidate = #"{"items":[{"sku":"c","n":3},{"sku":"a","n":10},{"sku":"b","n":20}]}"#
        let bySku = Fixtures.diff(legacy, candidate, rules: try Fixtures.rules("identity_keys: [sku]\nrules: []\n"))
        #expect(bySku.map(\.kind) == [.valueChanged, .valueChanged, .arrayOrder])
        #expect(bySku.map(\.path) == ["/items/0/n", "/items/1/n", "/items"])
        // Without `sku` among the identities, the elements are aligned as a sequence.
        #expect(!Fixtures.diff(legacy, candidate).contains { $0.kind == .arrayOrder })

        let ids = #"{"items":[{"id":1,"n":1},{"id":2,"n":2}]}"#
        let swapped = #"{"items":[{"id":2,"n":2},{"id":1,"n":10}]}"#
        let off = Fixtures.diff(ids, swapped, rules: try Fixtures.rules("identity_keys: []\nrules: []\n"))
        #expect(!off.contains { $0.kind == .arrayOrder })
        #expect(try Fixtures.patch(off).apply(to: JSONValue(parsing: ids)) == JSONValue(parsing: swapped))
        let unordered = Fixtures.diff(ids, swapped, rules: try Fixtures.rules("rules:\n  - route: \"*\"\n    unordered: [{path: $.items, key: id}]\n"))
        #expect(unordered == [Discrepancy(path: "/items/0/n", field: "$.items[*].n", kind: .valueChanged, legacyValue: "1", candidateValue: "10")])
    }

    @Test("duplicate keys compare by their last occurrence, as clients read them")
    func duplicateKeys() {
        // The duplicate itself is a `duplicate_key` of its own (see `duplicateKeyDiscrepancy`); the values compare
        // by the last occurrence.
        #expect(Fixtures.diff(#"{"a":1,"a":2}"#, #"{"a":2}"#).filter { $0.kind != .duplicateKey }.isEmpty)
        #expect(Fixtures.diff(#"{"a":1,"a":2}"#, #"{"a":1}"#).filter { $0.kind != .duplicateKey } == [
            Discrepancy(path: "/a", field: "$.a", kind: .valueChanged, legacyValue: "2", candidateValue: "1")
        ])
    }

    @Test("a duplicate key is a duplicate_key discrepancy on the side that has it, unless both sides repeat it alike")
    func duplicateKeyDiscrepancy() throws {
        #expect(Fixtures.diff(#"{"a":1,"a":2,"b":1}"#, #"{"a":2,"b":1}"#) == [
            Discrepancy(path: "/a", field: "$.a", kind: .duplicateKey, legacyValue: "[1,2]", candidateValue: nil)
        ])
        #expect(Fixtures.diff(#"{"items":[{"id":1,"x":1}]}"#, #"{"items":[{"id":1,"x":0,"x":1}]}"#) == [
            Discrepancy(path: "/items/0/x", field: "$.items[*].x", kind: .duplicateKey, legacyValue: nil, candidateValue: "[0,1]")
        ])
        // Repeated alike on both sides: not a difference between the two (the bodies differ elsewhere).
        #expect(Fixtures.diff(#"{"a":1,"a":2,"b":1}"#, #"{"a":1,"a":2,"b":2}"#).map(\.kind) == [.valueChanged])
        // An ignored member's duplicate is ignored too.
        let rules = try Fixtures.rules("rules:\n  - route: \"*\"\n    ignore: [$.a]\n")
        #expect(Fixtures.diff(#"{"a":1,"a":2,"b":1}"#, #"{"a":2,"b":2}"#, rules: rules).map(\.kind) == [.valueChanged])
        // The list stays a patch from legacy to candidate (duplicate_key is no operation).
        let legacy = #"{"a":1,"a":2,"b":[1,2]}"#
        let candidate = #"{"a":3,"b":[1,2,3]}"#
        let d = Fixtures.diff(legacy, candidate)
        #expect(d.contains { $0.kind == .duplicateKey })
        #expect(try d.jsonPatch.apply(to: JSONValue(parsing: legacy)) == JSONValue(parsing: candidate))
    }

    @Test("a whole-body type change at the root")
    func rootTypeChange() {
        #expect(Fixtures.diff("[]", "{}") == [Discrepancy(path: "", field: "$", kind: .typeChanged, legacyValue: "[]", candidateValue: "{}")])
    }

    @Test("strings compare by bytes: a different Unicode normalization is a difference")
    func normalization() {
        #expect(Fixtures.diff(#"{"b":"\u00e9"}"#, "{\"b\":\"é\"}").isEmpty)
        #expect(Fixtures.diff("{\"b\":\"\u{E9}\"}", "{\"b\":\"e\u{301}\"}").map(\.kind) == [.valueChanged])
    }

    @Test("with no rules the discrepancy list is a patch from legacy to candidate (random documents)", arguments: 0..<20)
    func randomRoundTrip(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919 &+ 1)
        for _ in 0..<25 {
            let legacy = Fixtures.randomValue(&rng, depth: 4)
            let candidate = Fixtures.mutate(legacy, &rng, rate: 0.3)
            try Self.roundTrip(legacy, candidate)
        }
    }

    @Test("round trip over comment trees with about 1% of fields changed")
    func commentTreeRoundTrip() throws {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<10 {
            let legacy = Fixtures.commentTree(&rng, depth: 3, replies: 4)
            try Self.roundTrip(legacy, Fixtures.mutate(legacy, &rng, rate: 0.02))
        }
    }

    @Test("round trip over the shared JSON fixtures (canonicalization vectors and transform cases)")
    func fixtureRoundTrip() throws {
        let canon = TestData.root.appendingPathComponent("json-canonicalization/testdata")
        let names = try FileManager.default.contentsOfDirectory(atPath: canon.appendingPathComponent("input").path).sorted()
        #expect(names.count >= 6)
        var documents: [JSONValue] = []
        for name in names {
            let input = try JSONValue(parsing: Data(contentsOf: canon.appendingPathComponent("input/\(name)")))
            let output = try JSONValue(parsing: Data(contentsOf: canon.appendingPathComponent("output/\(name)")))
            try Self.roundTrip(input, output)
            documents += [input, output]
        }
        let transform = TestData.root.appendingPathComponent("JSONTestSuite/test_transform")
        for name in try FileManager.default.contentsOfDirectory(atPath: transform.path).sorted() {
            if let value = try? JSONValue(parsing: Data(contentsOf: transform.appendingPathComponent(name))) { documents.append(value) }
        }
        for a in documents {
            for b in documents { try Self.roundTrip(a, b) }
        }
    }

    static func roundTrip(_ legacy: JSONValue, _ candidate: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let d = Fixtures.diff(legacy.serialized(), candidate.serialized())
        let patched = try Fixtures.patch(d).apply(to: legacy)
        #expect(patched == candidate, "legacy \(legacy) candidate \(candidate) discrepancies \(d)", sourceLocation: sourceLocation)
        // The library's own conversion (used by `tapcompare diff --format json-patch`) gives the same result.
        #expect(try d.jsonPatch.apply(to: legacy) == candidate, sourceLocation: sourceLocation)
        #expect(d.isEmpty == (legacy == candidate), sourceLocation: sourceLocation)
    }
}
