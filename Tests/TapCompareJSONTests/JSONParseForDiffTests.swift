import Foundation
import TapCompareJSON
import Testing

/// `JSONParser.parseForDiff`: two documents walked side by side, equal parts not built. It must fail exactly when
/// a plain parse of either document fails (also for a fault inside a part that is equal on both sides, which the
/// walk validates without building), and build the parts that differ as a plain parse builds them.
@Suite("Parsing two documents in lockstep for a diff")
struct JSONParseForDiffTests {
    typealias Pair = (first: (value: JSONValue, hasDuplicateKeys: Bool), second: (value: JSONValue, hasDuplicateKeys: Bool))

    static func lockstep(_ first: [UInt8], _ second: [UInt8], options: JSONParser.Options = .init(), identityKeys: [String] = []) -> Pair? {
        first.withUnsafeBytes { a in second.withUnsafeBytes { b in JSONParser.parseForDiff(a, b, options: options, identityKeys: identityKeys) } }
    }

    static func lockstep(_ first: String, _ second: String) -> Pair? { Self.lockstep(Array(first.utf8), Array(second.utf8)) }

    static func parses(_ bytes: [UInt8], options: JSONParser.Options = .init()) -> Bool {
        bytes.withUnsafeBytes { (try? JSONParser.parseDocument($0, options: options)) != nil }
    }

    @Test("equal parts are one unbuilt value on both sides; the differing path is built")
    func unbuiltParts() throws {
        let legacy = #"{"items":[{"id":1,"text":"a"},{"id":2,"text":"b"},{"id":3,"text":"c"}],"next":null,"n":1.50}"#
        let candidate = #"{"items":[{"id":1,"text":"a"},{"id":2,"text":"B"},{"id":3,"text":"c"}], "next" : null,"n":1.50}"#
        let pair = try #require(Self.lockstep(legacy, candidate))
        let (a, b) = (pair.first.value, pair.second.value)
        let unbuilt = JSONParser.unbuiltEqualPart
        #expect(a["next"]!.sharesStorage(with: unbuilt) && b["next"]!.sharesStorage(with: unbuilt))
        #expect(a["items"]![0]!.sharesStorage(with: unbuilt) && b["items"]![2]!.sharesStorage(with: unbuilt))
        #expect(a["items"]![1]!["text"] == "b" && b["items"]![1]!["text"] == "B")
        #expect(a["items"]![1]!["id"]!.sharesStorage(with: unbuilt), "equal scalars are not built either")
        #expect(a.serialized().contains("\"text\":\"b\"") && b.serialized().contains("\"text\":\"B\""))
        // Documents equal token for token (whitespace aside) build nothing at all.
        let same = try #require(Self.lockstep(legacy, legacy.replacingOccurrences(of: ",", with: " ,\n ")))
        #expect(same.first.value.sharesStorage(with: unbuilt) && same.second.value.sharesStorage(with: unbuilt))
    }

    @Test("another key order, another element count or two changed elements build the container in full")
    func builtInFull() throws {
        let legacy = #"{"a":[1,2,3],"b":{"x":1,"y":2},"c":[1,2,3,4]}"#
        let candidate = #"{"a":[1,2,3,4],"b":{"y":2,"x":1},"c":[9,2,3,9]}"#
        let pair = try #require(Self.lockstep(legacy, candidate))
        #expect(pair.first.value.serialized() == (try JSONValue(parsing: legacy)).serialized())
        #expect(pair.second.value.serialized() == (try JSONValue(parsing: candidate)).serialized())
    }

    @Test("two changed elements: unbuilt between them only when every position keeps its identity or gets a new one")
    func identities() throws {
        func walk(_ a: String, _ b: String) throws -> Pair {
            try #require(Self.lockstep(Array(a.utf8), Array(b.utf8), identityKeys: ["id"]))
        }
        let legacy = #"[{"id":1,"t":"a"},{"id":2,"t":"b"},{"id":3,"t":"c"}]"#
        let unbuilt = JSONParser.unbuiltEqualPart
        // Same ids at every position: the equal element between the changes is not built.
        let edited = try walk(legacy, #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"C"}]"#)
        #expect(edited.first.value[1]!.sharesStorage(with: unbuilt) && edited.second.value[1]!.sharesStorage(with: unbuilt))
        // An id changed to one the other side does not hold: the diff finds that element removed and added, so it
        // is built in full on both sides, and the equal element between stays unbuilt.
        let replaced = try walk(legacy, #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":4,"t":"c"}]"#)
        #expect(replaced.first.value[1]!.sharesStorage(with: unbuilt) && replaced.second.value[1]!.sharesStorage(with: unbuilt))
        #expect(replaced.first.value[2]!.serialized() == #"{"id":3,"t":"c"}"# && replaced.second.value[2]!.serialized() == #"{"id":4,"t":"c"}"#)
        // Ids swapped, or an id changed to one the other side holds elsewhere (a move): built in full.
        for candidate in [#"[{"id":3,"t":"c"},{"id":2,"t":"b"},{"id":1,"t":"a"}]"#, #"[{"id":2,"t":"A"},{"id":5,"t":"b"},{"id":3,"t":"C"}]"#] {
            let pair = try walk(legacy, candidate)
            #expect(pair.first.value.serialized() == (try JSONValue(parsing: legacy)).serialized(), "\(candidate)")
            #expect(pair.second.value.serialized() == (try JSONValue(parsing: candidate)).serialized(), "\(candidate)")
        }
        let keyless = try #require(Self.lockstep(legacy, #"[{"id":1,"t":"A"},{"id":2,"t":"b"},{"id":3,"t":"C"}]"#))
        #expect(keyless.first.value.serialized() == (try JSONValue(parsing: legacy)).serialized())
    }

    @Test("repeated keys: an equal part's are not counted, a built part's are")
    func duplicateKeys() throws {
        // Repeated alike in a part equal on both sides (an element, a member's value): validated once and not
        // built, so not counted; the diff finds nothing there, as it finds them repeated alike.
        let unbuilt = JSONParser.unbuiltEqualPart
        let equal = try #require(Self.lockstep(#"{"a":[{"k":1,"k":2}],"b":1}"#, #"{"a":[{"k":1,"k":2}],"b":2}"#))
        #expect(equal.first.value["a"]!.sharesStorage(with: unbuilt) && equal.second.value["a"]!.sharesStorage(with: unbuilt))
        #expect(!equal.first.hasDuplicateKeys && !equal.second.hasDuplicateKeys)
        let member = try #require(Self.lockstep(#"{"a":{"k":1,"k":2},"b":1}"#, #"{"a":{"k":1,"k":2},"b":2}"#))
        #expect(member.first.value["a"]!.sharesStorage(with: unbuilt) && !member.second.hasDuplicateKeys)
        // An array's element that repeats its own key is walked, not skipped (its identity would be read from its
        // first member of the name): built in full on both sides, with its flag, when its array needs building.
        let element = try #require(Self.lockstep(#"[{"k":1,"k":2},{"k":3}]"#, #"[{"k":1,"k":2},{"k":4}]"#))
        #expect(element.first.hasDuplicateKeys && element.second.hasDuplicateKeys)
        #expect(element.first.value.serialized() == #"[{"k":1,"k":2},{"k":3}]"#)
        // Repeated in a part that differs: built in full, with the repeat, on the side that has it.
        let changed = try #require(Self.lockstep(#"{"a":{"k":1},"b":1}"#, #"{"a":{"k":1,"k":2},"b":1}"#))
        #expect(!changed.first.hasDuplicateKeys && changed.second.hasDuplicateKeys)
        guard case .object(let object)? = changed.second.value["a"] else { Issue.record("not an object"); return }
        #expect(object.hasDuplicateKeys && object.members.count == 2)
        // The walked object itself repeats a key: both built in full.
        let root = try #require(Self.lockstep(#"{"k":1,"b":1,"k":3}"#, #"{"k":1,"b":2,"k":3}"#))
        #expect(root.first.hasDuplicateKeys && root.second.hasDuplicateKeys)
        #expect(root.first.value.serialized() == #"{"k":1,"b":1,"k":3}"#)
        // An escaped key may spell another key: both built in full, repeats found as a plain parse finds them.
        let escaped = try #require(Self.lockstep(#"{"a":1,"\u0061":2,"b":1}"#, #"{"a":1,"\u0061":2,"b":2}"#))
        #expect(escaped.first.hasDuplicateKeys && escaped.second.hasDuplicateKeys)
    }

    /// Each fault sits inside a part that is the same in both documents, so only the walk's validation sees it.
    @Test("a fault inside an equal part fails the walk as it fails a plain parse", arguments: [
        "\"\u{01}\"", #""\x""#, #""\uD800""#, #""\uDC00x""#, #""\uD800\u0041""#, #""\u12G4""#, "01", "1.", "-", "1e", "1e1234567890",
        "tru", "nul", "[1,]", "[1 2]", #"{"a" 1}"#, #"{"a":1,}"#, #"{1:2}"#, "[", #""abc"#,
    ])
    func faultInEqualPart(_ fault: String) {
        let legacy = Array(#"{"same":[0,"#.utf8) + Array(fault.utf8) + Array(#"],"x":1}"#.utf8)
        let candidate = Array(#"{"same":[0,"#.utf8) + Array(fault.utf8) + Array(#"],"x":2}"#.utf8)
        #expect(!Self.parses(legacy) && !Self.parses(candidate), "\(fault) should not parse")
        #expect(Self.lockstep(legacy, candidate) == nil, "\(fault)")
    }

    @Test("invalid UTF-8 inside an equal string fails the walk exactly when String(validating:) rejects it")
    func utf8() {
        var random = SplitMix(state: 17)
        var samples: [[UInt8]] = []
        for a in UInt8(0x80)...0xFF { samples.append([a]) }
        for a in UInt8(0xC0)...0xFF { for b in UInt8(0x80)...0xBF { samples.append([a, b]) } }
        for a in [UInt8(0xE0), 0xE1, 0xEC, 0xED, 0xEE, 0xEF] { for b in UInt8(0x70)...0xC4 { samples.append([a, b, 0x80]); samples.append([a, b, 0xBF]) } }
        for a in [UInt8(0xF0), 0xF1, 0xF3, 0xF4, 0xF5] { for b in UInt8(0x70)...0xC4 { samples.append([a, b, 0x80, 0x80]); samples.append([a, b, 0xBF, 0x7F]) } }
        for _ in 0..<3000 {
            let n = Int(random.next() % 12) + 1
            // Bytes that are never a quote, backslash or control character, so only UTF-8 decides.
            samples.append((0..<n).map { _ in UInt8(0x80 | (random.next() & 0x7F)) | (random.next() % 3 == 0 ? 0 : 0x40) })
        }
        for sample in samples {
            let padded = Array("abcdefghij".utf8) + sample + Array("é".utf8)
            let legacy = Array(#"["#.utf8) + [0x22] + padded + [0x22] + Array(#",1]"#.utf8)
            let candidate = Array(#"["#.utf8) + [0x22] + padded + [0x22] + Array(#",2]"#.utf8)
            let valid = String(validating: padded, as: UTF8.self) != nil
            #expect((Self.lockstep(legacy, candidate) != nil) == valid, "\(sample)")
        }
    }

    @Test("depth: the walk holds the parser's limit on both sides")
    func depth() {
        let options = JSONParser.Options(maxDepth: 8)
        let deep = Array((String(repeating: "[", count: 8) + "1" + String(repeating: "]", count: 8)).utf8)
        let deeper = Array((String(repeating: "[", count: 9) + "1" + String(repeating: "]", count: 9)).utf8)
        #expect(Self.lockstep(deep, deep, options: options) != nil)
        #expect(Self.lockstep(deeper, deeper, options: options) == nil)
        #expect(Self.lockstep(deep, deeper, options: options) == nil)
        #expect(Self.lockstep(deeper, deep, options: options) == nil)
    }

    /// Every JSONTestSuite file against itself and its neighbours in name order: the walk succeeds exactly when both
    /// parse.
    @Test("JSONTestSuite files against each other")
    func jsonTestSuite() throws {
        let files = TestData.jsonTestSuiteFiles
        #expect(files.count > 300)
        let texts = try files.map { try Data(contentsOf: TestData.jsonTestSuiteParsing.appendingPathComponent($0)) }.map { Array($0) }
        func check(_ a: [UInt8], _ b: [UInt8], _ name: String) {
            let walked = Self.lockstep(a, b)
            #expect((walked != nil) == (Self.parses(a) && Self.parses(b)), "\(name)")
        }
        for (i, text) in texts.enumerated() {
            check(text, text, files[i])
            if i > 0 {
                check(texts[i - 1], text, "\(files[i - 1]) → \(files[i])")
                check(text, texts[i - 1], "\(files[i]) → \(files[i - 1])")
            }
        }
    }

    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
