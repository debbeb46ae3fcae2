import Foundation
import TapCompareJSON
import Testing

/// `JSONParser.parseSimilarDocuments`: the second document parsed against the first gives exactly what parsing
/// it alone gives, and shares the first's storage where their bytes agree.
@Suite("Parsing a document against a similar one")
struct JSONSimilarDocumentsTests {
    typealias Parsed = Result<(value: JSONValue, hasDuplicateKeys: Bool), JSONParseError>

    static func pair(_ first: String, _ second: String) -> (first: Parsed, second: Parsed) {
        var a = Array(first.utf8)
        var b = Array(second.utf8)
        return a.withUnsafeMutableBytes { x in
            b.withUnsafeMutableBytes { y in JSONParser.parseSimilarDocuments(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) }
        }
    }

    static func alone(_ text: String) -> Parsed {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { x in Result { () throws(JSONParseError) in try JSONParser.parseDocument(UnsafeRawBufferPointer(x)) } }
    }

    /// Same value (member order and number text included), same duplicate-key flag, same error.
    static func expectSame(_ guided: Parsed, _ alone: Parsed, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (guided, alone) {
        case (.success(let x), .success(let y)):
            #expect(x.value.serialized() == y.value.serialized(), comment, sourceLocation: sourceLocation)
            #expect(x.value == y.value, comment, sourceLocation: sourceLocation)
            #expect(x.hasDuplicateKeys == y.hasDuplicateKeys, comment, sourceLocation: sourceLocation)
        case (.failure(let x), .failure(let y)):
            #expect(x == y, comment, sourceLocation: sourceLocation)
        default:
            Issue.record("guided \(guided) but alone \(alone) \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        }
    }

    static let listing = #"{"items":[{"id":1,"text":"a","tags":["x"]},{"id":2,"text":"b","tags":[]},{"id":3,"text":"c","meta":{"n":1.50}}],"next":null}"#

    @Test("unchanged elements are the guide's own storage; the changed one and its parents are parsed")
    func sharing() throws {
        let changed = Self.listing.replacingOccurrences(of: #""text":"b""#, with: #""text":"B""#)
        let (first, second) = Self.pair(Self.listing, changed)
        let legacy = try first.get().value
        let candidate = try second.get().value
        Self.expectSame(second, Self.alone(changed))
        let a = try #require(legacy["items"])
        let b = try #require(candidate["items"])
        #expect(!candidate.sharesStorage(with: legacy))
        #expect(!b.sharesStorage(with: a))
        #expect(b[0]!.sharesStorage(with: a[0]!))
        #expect(!b[1]!.sharesStorage(with: a[1]!))
        #expect(b[1]!["tags"]!.sharesStorage(with: a[1]!["tags"]!))
        #expect(b[2]!.sharesStorage(with: a[2]!))
        #expect(a != b)
    }

    @Test("members are guided only by the guide's member at the same position with the same key")
    func reorderedKeys() throws {
        let reordered = #"{"next":null,"items":[{"id":1,"text":"a","tags":["x"]},{"id":2,"text":"b","tags":[]},{"id":3,"text":"c","meta":{"n":1.50}}]}"#
        let (first, second) = Self.pair(Self.listing, reordered)
        Self.expectSame(second, Self.alone(reordered))
        #expect(try second.get().value == first.get().value)
        #expect(!(try second.get().value["items"]!.sharesStorage(with: first.get().value["items"]!)))
    }

    @Test("a part taken from the guide keeps its repeated key")
    func duplicateKeys() throws {
        let legacy = #"{"a":{"k":1,"k":2},"b":1}"#
        let candidate = #"{"a":{"k":1,"k":2},"b":2}"#
        let (_, second) = Self.pair(legacy, candidate)
        #expect(try second.get().hasDuplicateKeys)
        #expect(try second.get().value["a"]!.sharesStorage(with: Self.alone(legacy).get().value["a"]!) == false, "separate parses share nothing")
        Self.expectSame(second, Self.alone(candidate))
        // A repeated key in a part the candidate does not share says nothing about the candidate.
        let fixed = #"{"a":{"k":2},"b":[1]}"#
        let (_, third) = Self.pair(#"{"a":{"k":1,"k":2},"b":[1]}"#, fixed)
        #expect(try third.get().value["b"]!.sharesStorage(with: Self.pair(#"{"a":{"k":1,"k":2},"b":[1]}"#, fixed).first.get().value["b"]!) == false, "each call parses anew")
        #expect(try !third.get().hasDuplicateKeys)
        Self.expectSame(third, Self.alone(fixed))
    }

    @Test("errors after, inside and around a matching part are the errors of a plain parse", arguments: [
        #"{"items":[{"id":1,"text":"a","tags":["x"]}x],"next":null}"#,
        #"{"items":[{"id":1,"text":"a","tags":["x"]},{"id":2,"text":"b","tags":[]}"#,
        #"{"items":[{"id":1,"text":"a","tags":["x"]},{"id":2,"text":"b","tags":[]},{"id":3,"text":"c","meta":{"n":1.50}}],"next":null} x"#,
        #"[{"id":1,"text":"a","tags":["x"]}]"#,
        #"{"items":[{"id":1,"text":"a","tags":["x"]},{"id":2,"text":"b","tags":[],"#,
        "",
    ])
    func errors(_ candidate: String) {
        Self.expectSame(Self.pair(Self.listing, candidate).second, Self.alone(candidate), "\(candidate)")
    }

    @Test("a guide that does not parse leaves the second document to a plain parse")
    func brokenGuide() {
        let (first, second) = Self.pair(#"{"items":[1,2"#, Self.listing)
        #expect(throws: JSONParseError.self) { try first.get() }
        Self.expectSame(second, Self.alone(Self.listing))
    }

    @Test("depth: a part taken from the guide sits at the depth it had there, under the same limit")
    func depth() {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        let deeper = "[" + deep + "]"
        Self.expectSame(Self.pair(deep, deep).second, Self.alone(deep))
        Self.expectSame(Self.pair(deep, deeper).second, Self.alone(deeper))
        Self.expectSame(Self.pair("[" + deep + ",1]", deeper).second, Self.alone(deeper))
    }

    /// Every JSONTestSuite file against itself, against its neighbour in name order, and its neighbour against it.
    @Test("JSONTestSuite files against each other")
    func jsonTestSuite() throws {
        let files = TestData.jsonTestSuiteFiles
        #expect(files.count > 300)
        let texts = try files.map { try Data(contentsOf: TestData.jsonTestSuiteParsing.appendingPathComponent($0)) }.map { Array($0) }
        func check(_ a: [UInt8], _ b: [UInt8], _ name: String) {
            var (x, y) = (a, b)
            let guided = x.withUnsafeMutableBytes { p in
                y.withUnsafeMutableBytes { q in JSONParser.parseSimilarDocuments(UnsafeRawBufferPointer(p), UnsafeRawBufferPointer(q)).second }
            }
            let alone = y.withUnsafeMutableBytes { q in Result { () throws(JSONParseError) in try JSONParser.parseDocument(UnsafeRawBufferPointer(q)) } }
            Self.expectSame(guided, alone, "\(name)")
        }
        for (i, text) in texts.enumerated() {
            check(text, text, files[i])
            if i > 0 {
                check(texts[i - 1], text, "\(files[i - 1]) → \(files[i])")
                check(text, texts[i - 1], "\(files[i]) → \(files[i - 1])")
            }
        }
    }
}
