import TapCompareJSON
import Testing

@Suite("RFC 6902 JSON Patch")
struct JSONPatchTests {
    /// RFC 6902 appendix A examples: (document, patch, expected result or nil for an error).
    static let examples: [(String, String, String?)] = [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#, #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"baz":"qux","foo":["a",2,"c"]}"#, #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#, #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, nil),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#, "[1]"),
        (#"{"a":1}"#, #"[{"op":"copy","from":"/a","path":"/b"}]"#, #"{"a":1,"b":1}"#),
    ]

    @Test("RFC 6902 appendix A", arguments: 0..<examples.count)
    func appendix(_ n: Int) throws {
        let (doc, patchText, expected) = Self.examples[n]
        let patch = try JSONPatch(JSONValue(parsing: patchText))
        if let expected {
            #expect(try patch.apply(to: JSONValue(parsing: doc)) == JSONValue(parsing: expected))
            // The patch document survives a round trip through its JSON form.
            #expect(try JSONPatch(patch.jsonValue) == patch)
        } else {
            #expect(throws: JSONPatchError.self) { try patch.apply(to: JSONValue(parsing: doc)) }
        }
    }

    @Test("malformed patches are rejected")
    func malformed() {
        #expect(throws: JSONPatchError.self) { try JSONPatch(JSONValue(parsing: #"{"op":"add"}"#)) }
        #expect(throws: JSONPatchError.self) { try JSONPatch(JSONValue(parsing: #"[{"op":"frobnicate","path":""}]"#)) }
        #expect(throws: JSONPatchError.self) { try JSONPatch(JSONValue(parsing: #"[{"op":"add","path":"/a"}]"#)) }
    }
}
