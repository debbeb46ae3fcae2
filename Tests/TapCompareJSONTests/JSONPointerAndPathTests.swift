import TapCompareJSON
import Testing

@Suite("JSON Pointer and JSONPath")
struct JSONPointerAndPathTests {
    @Test("RFC 6901 escaping of ~ and /")
    func pointerEscaping() throws {
        let pointer = JSONPointer(elements: [.key("a/b"), .key("m~n"), .index(3)])
        #expect(pointer.description == "/a~1b/m~0n/3")
        #expect(try JSONPointer(parsing: "/a~1b/m~0n/3") == pointer)
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "/a~2") }
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "a") }
    }

    @Test("RFC 6901 section 5 examples resolve")
    func pointerExamples() throws {
        let doc = try JSONValue(parsing: #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#)
        let cases: [(String, JSONValue)] = [
            ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1), ("/c%d", 2), ("/e^f", 3), ("/g|h", 4), ("/i\\j", 5),
            ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
        ]
        for (text, expected) in cases {
            #expect(doc.value(at: try JSONPointer(parsing: text)) == expected, "\(text)")
        }
        #expect(doc.value(at: try JSONPointer(parsing: "")) == doc)
        #expect(doc.value(at: try JSONPointer(parsing: "/foo/01")) == nil)
    }

    @Test("the JSONPath subset parses and prints back", arguments: [
        "$", "$.replies[*].score", "$['content-type']", "$..created_at", "$.a[0].b", "$..*", "$.*",
    ])
    func pathParses(_ text: String) throws {
        let path = try JSONPath(parsing: text)
        #expect(path.text == text)
        #expect(try JSONPath(parsing: JSONPath(segments: path.segments).text) == JSONPath(parsing: JSONPath(segments: path.segments).text))
    }

    @Test("unsupported or malformed JSONPath gives a clear error", arguments: [
        ("replies", "must start with '$'"), ("$.a[", "unterminated"), ("$.a[-1]", "negative indices"),
        ("$.a[?(@.x)]", "filter expressions"), ("$.a[0:2]", "slices and unions"), ("$.", "must be followed"),
        ("$..", "must be followed"), ("$a", "unexpected 'a'"), ("$['x", "unterminated quoted name"),
    ])
    func pathErrors(_ pair: (String, String)) {
        let error = #expect(throws: JSONPathError.self) { try JSONPath(parsing: pair.0) }
        #expect(error?.description.contains(pair.1) == true, "\(String(describing: error))")
    }

    @Test("matching concrete locations")
    func matching() throws {
        let path = try JSONPath(parsing: "$.replies[*].score")
        #expect(path.matches([.key("replies"), .index(3), .key("score")]))
        #expect(!path.matches([.key("replies"), .key("3"), .key("scores")]))
        let descendant = try JSONPath(parsing: "$..created_at")
        #expect(descendant.matches([.key("created_at")]))
        #expect(descendant.matches([.key("replies"), .index(0), .key("created_at")]))
        #expect(!descendant.matches([.key("created_at"), .key("x")]))
        #expect(try JSONPath(parsing: "$.a[1]").matches([.key("a"), .index(1)]))
        #expect(try !JSONPath(parsing: "$.a[1]").matches([.key("a"), .key("1")]))
    }

    @Test("the multi-path matcher agrees with single-path matching")
    func matcherAgrees() throws {
        let doc = try JSONValue(parsing: #"{"id":1,"replies":[{"id":2,"score":3,"replies":[{"id":4,"score":5}]}],"meta":{"id":"x"}}"#)
        for text in ["$..id", "$.replies[*].score", "$.replies[0]", "$..replies[*].id", "$.meta.*", "$", "$..*"] {
            let path = try JSONPath(parsing: text)
            let found = doc.matches(of: path).map(\.description)
            let expected = Self.allLocations(doc).filter { path.matches($0) }.map(\.jsonPointer)
            #expect(found == expected, "\(text)")
        }
    }

    @Test("redaction replaces every selected value")
    func transform() throws {
        var doc = try JSONValue(parsing: #"{"token":"s3cret","user":{"token":"t","name":"n"},"list":[{"token":1}]}"#)
        let count = doc.transformMatches(of: try JSONPath(parsing: "$..token")) { _ in "[REDACTED]" }
        #expect(count == 3)
        #expect(doc.serialized() == #"{"token":"[REDACTED]","user":{"token":"[REDACTED]","name":"n"},"list":[{"token":"[REDACTED]"}]}"#)
    }

    static func allLocations(_ value: JSONValue, prefix: [JSONPathElement] = []) -> [[JSONPathElement]] {
        var result = [prefix]
        switch value {
        case .array(let a):
            for (i, e) in a.enumerated() { result += allLocations(e, prefix: prefix + [.index(i)]) }
        case .object(let o):
            for m in o.members { result += allLocations(m.value, prefix: prefix + [.key(m.key)]) }
        default: break
        }
        return result
    }
}
