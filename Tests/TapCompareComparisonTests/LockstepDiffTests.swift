import Foundation
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

/// With no rule for the body, the comparator walks both bodies side by side and builds only the parts that differ
/// (`JSONParser.parseForDiff`). Whatever it leaves unbuilt, the discrepancies must be exactly those of two bodies
/// parsed in full and diffed.
@Suite("Diff of bodies walked in lockstep")
struct LockstepDiffTests {
    /// `patch: false` for bodies with repeated keys (a patch names a key, not one of its occurrences).
    static func expectSameAsFullParse(_ legacy: String, _ candidate: String, patch: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let viaBodies = Fixtures.diff(legacy, candidate)
        let comparator = Comparator()
        let rules = RuleSet.empty.routeRules(route: "GET /api/v1/comments/{id}", method: "GET", path: "/api/v1/comments/1")
        let separate = comparator.diff(try JSONValue(parsing: legacy), try JSONValue(parsing: candidate), rules: rules)
        #expect(viaBodies == separate, "legacy \(legacy)\ncandidate \(candidate)", sourceLocation: sourceLocation)
        guard patch else { return }
        // And the list is still a patch from legacy to candidate.
        let patched = try Fixtures.patch(viaBodies).apply(to: try JSONValue(parsing: legacy))
        #expect(patched == (try JSONValue(parsing: candidate)), sourceLocation: sourceLocation)
    }

    /// Compact text with a repeated key spliced into some objects (`{"k":…` becomes `{"k":…,"k":…`), so walks meet
    /// repeats inside equal parts and inside changed ones.
    static func withRepeats(_ text: String, every n: Int) -> String {
        var out = ""
        var count = 0
        for c in text {
            out.append(c)
            if c == "{" {
                count += 1
                if count % n == 0 { out += #""dup":1,"dup":2,"# }
            }
        }
        return out.replacingOccurrences(of: #""dup":1,"dup":2,}"#, with: #""dup":1,"dup":2}"#)
    }

    @Test("random documents with random edits: same discrepancies as full parses", arguments: 0..<60)
    func random(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 77)
        let legacy = Fixtures.randomValue(&rng, depth: 4)
        let candidate = Fixtures.mutate(legacy, &rng, rate: [0.05, 0.2, 0.5][seed % 3])
        let (a, b) = (legacy.serialized(), candidate.serialized())
        try Self.expectSameAsFullParse(a, b)
        // Whitespace on one side only: equal tokens are still equal parts.
        try Self.expectSameAsFullParse(a, b.replacingOccurrences(of: ",", with: ", ").replacingOccurrences(of: ":", with: " : "))
        // Repeated keys on both sides, and on one side only.
        try Self.expectSameAsFullParse(Self.withRepeats(a, every: 2), Self.withRepeats(b, every: 2), patch: false)
        try Self.expectSameAsFullParse(Self.withRepeats(a, every: 3), b, patch: false)
    }

    @Test("comment trees with about 1% of their fields changed: same discrepancies as full parses", arguments: 0..<20)
    func commentTrees(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 500)
        let comments = (0..<Int.random(in: 1...12, using: &rng)).map { _ in Fixtures.commentTree(&rng, depth: 2, replies: 2) }
        let legacy = JSONValue.object(JSONObject([.init(key: "post_id", value: 1), .init(key: "comments", value: .array(comments))]))
        // Change a few scalars in place (as the benchmark does), one of them sometimes an id.
        var text = legacy.serialized()
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let digits = text.indices.filter { text[$0].isNumber }
            let at = digits[Int.random(in: 0..<digits.count, using: &rng)]
            text.replaceSubrange(at...at, with: text[at] == "9" ? "8" : "9")
        }
        try Self.expectSameAsFullParse(legacy.serialized(), text)
    }

    @Test("repeated keys: reported as for full parses, in equal parts and changed ones")
    func duplicateKeys() throws {
        // Repeated alike inside a part equal on both sides: not a discrepancy.
        try Self.expectSameAsFullParse(#"{"a":{"k":1,"k":2},"b":1}"#, #"{"a":{"k":1,"k":2},"b":2}"#, patch: false)
        try Self.expectSameAsFullParse(#"[{"k":1,"k":2},{"k":1}]"#, #"[{"k":1,"k":2},{"k":2}]"#, patch: false)
        // Repeated on one side only, in a part that differs.
        try Self.expectSameAsFullParse(#"{"a":{"k":1},"b":1}"#, #"{"a":{"k":1,"k":1},"b":1}"#, patch: false)
        try Self.expectSameAsFullParse(#"{"a":{"k":1,"k":2},"b":1}"#, #"{"a":{"k":2},"b":1}"#, patch: false)
        // In the walked object itself, and spelled with an escape.
        try Self.expectSameAsFullParse(#"{"k":1,"b":1,"k":3}"#, #"{"k":1,"b":2,"k":3}"#, patch: false)
        try Self.expectSameAsFullParse(#"{"a":1,"\u0061":2,"b":1}"#, #"{"a":1,"b":1}"#, patch: false)
        let reported = Fixtures.diff(#"{"a":{"k":1},"b":1}"#, #"{"a":{"k":1,"k":1},"b":1}"#)
        #expect(reported.map(\.kind) == [.duplicateKey])
    }

    @Test("exactness: number text, 1 is not true, big integers, one changed element among equal ones")
    func exactness() throws {
        try Self.expectSameAsFullParse(#"{"a":[1,2,3],"n":1.0}"#, #"{"a":[1,2,3],"n":1}"#)
        try Self.expectSameAsFullParse(#"{"a":[1,2,3],"n":1}"#, #"{"a":[1,2,3],"n":true}"#)
        try Self.expectSameAsFullParse(#"[9007199254740993,1]"#, #"[9007199254740992,1]"#)
        try Self.expectSameAsFullParse(#"[{"id":1},{"id":2},{"id":3}]"#, #"[{"id":1},{"id":2,"x":1},{"id":3}]"#)
        try Self.expectSameAsFullParse(#"[{"id":1},{"id":2},{"id":3}]"#, #"[{"id":1},{"id":3},{"id":2}]"#)
        try Self.expectSameAsFullParse(#"[[1,2],[3]]"#, #"[[1,2],[3],[]]"#)
        // Several changed elements keyed by id: by position when every id stays, aligned by id otherwise.
        let listing = #"[{"id":1,"t":"a"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"d"}]"#
        for candidate in [
            #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"D"}]"#,
            #"[{"id":1,"t":"A"},{"id":2,"t":"B"},{"id":3,"t":"c"},{"id":4,"t":"d"}]"#,
            #"[{"id":1,"t":"A"},{"id":2,"t":"B"},{"id":3,"t":"C"},{"id":4,"t":"D"}]"#,
            #"[{"id":4,"t":"d"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":1,"t":"a"}]"#,
            #"[{"id":1,"t":"a"},{"id":2,"t":"b"},{"id":2,"t":"c"},{"id":4,"t":"D"}]"#,
            #"[{"id":9,"t":"a"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"D"}]"#,
            #"[{"id":1.0,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"D"}]"#,
            #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"c","id":5},{"id":4,"t":"D"}]"#,
            #"[{"id":1,"t":"A"},{"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"D"}]"#,
            // New ids at two positions (removed and added), one of them with another change; a new id that the
            // other side holds elsewhere.
            #"[{"id":7,"t":"a"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":8,"t":"D"}]"#,
            #"[{"id":7,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"C"},{"id":4,"t":"d"}]"#,
            #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"c"},{"id":3,"t":"d"}]"#,
            #"[{"id":2,"t":"a"},{"id":9,"t":"b"},{"id":3,"t":"c"},{"id":4,"t":"D"}]"#,
        ] {
            try Self.expectSameAsFullParse(listing, candidate, patch: !candidate.contains(#""id":5"#))
        }
        // Aligned by `uuid` (one element has no `id`): built pairs whose `id`s differ are not a removal.
        let keyed = #"[{"uuid":"a","id":1,"t":1},{"uuid":"b","t":2},{"uuid":"c","id":3,"t":3},{"uuid":"d","id":4,"t":4}]"#
        try Self.expectSameAsFullParse(keyed, #"[{"uuid":"a","id":9,"t":1},{"uuid":"b","t":2},{"uuid":"c","id":3,"t":3},{"uuid":"d","id":5,"t":4}]"#)
        try Self.expectSameAsFullParse(keyed, #"[{"uuid":"a","id":1,"t":7},{"uuid":"b","t":2},{"uuid":"c","id":3,"t":3},{"uuid":"d","id":4,"t":8}]"#)
        let changed = Fixtures.diff(#"{"a":[1,2,3],"n":1}"#, #"{"a":[1,2,3],"n":true}"#)
        #expect(changed.map(\.kind) == [.typeChanged])
    }

    @Test("a fault in a part equal on both sides: both unparseable, compared as text as before; on one side: unparseable")
    func faultInEqualPart() {
        let found = Fixtures.diff(#"{"a":[1,01],"b":1}"#, #"{"a":[1,2],"b":2}"#)
        #expect(found.map(\.kind) == [.bodyUnparseable])
        // Both sides broken alike: compared as text, as before.
        let both = Fixtures.diff(#"{"a":[1,01],"b":1}"#, #"{"a":[1,01],"b":2}"#)
        #expect(!both.isEmpty && !both.contains { $0.kind == .bodyUnparseable })
    }
}
