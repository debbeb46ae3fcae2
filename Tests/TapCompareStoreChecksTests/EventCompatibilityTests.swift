import Foundation
import TapCompareCore
import TapCompareJSON
import Testing
@testable import TapCompareStoreChecks

@Suite("what legacy's consumers can read")
struct EventCompatibilityTests {
    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    static func findings(_ discrepancies: [Discrepancy]) -> [String] {
        discrepancies.map { "\($0.field) \($0.legacyValue ?? "-") \($0.candidateValue ?? "-")" }
    }

    @Test("the shape learned from legacy's events: a missing required field and a changed type are unreadable; optional fields and extras are not")
    func learnedShape() throws {
        var shape = EventShape()
        try shape.learn(Self.json(#"{"data":{"comment_id":1,"score":5,"author":"a","edited":true}}"#))
        try shape.learn(Self.json(#"{"data":{"comment_id":2,"score":7.5,"author":"b"}}"#))
        #expect(try shape.incompatibilities(of: Self.json(#"{"data":{"comment_id":3,"score":1,"author":"c","new_field":1}}"#)).isEmpty)
        let broken = try shape.incompatibilities(of: Self.json(#"{"data":{"comment_id":"4","score":1}}"#))
        #expect(Self.findings(broken) == [#"$.data.author "string" -"#, #"$.data.comment_id "number" "string""#])
        #expect(broken.allSatisfy { $0.kind == .consumerIncompatible })
        // A missing object is reported once, not once per field under it.
        #expect(Self.findings(try shape.incompatibilities(of: Self.json(#"{"other":1}"#))) == [#"$.data "object" -"#])
    }

    @Test("a JSON Schema file: type, required, enum, additionalProperties and items")
    func schema() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID()).schema.json").path
        try #"""
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "description": "comment events",
         "type": "object", "required": ["data"],
         "properties": {"data": {"type": "object", "required": ["comment_id", "score"], "additionalProperties": false,
           "properties": {"comment_id": {"type": "integer"}, "score": {"type": ["number", "null"]},
                          "kind": {"enum": ["created", "edited"]}, "tags": {"type": "array", "items": {"type": "string"}}}}}}
        """#.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let schema = try EventSchema(file: file)
        #expect(try schema.violations(of: Self.json(#"{"data":{"comment_id":1,"score":null,"kind":"edited","tags":["x"]}}"#)).isEmpty)
        let broken = try schema.violations(of: Self.json(#"{"data":{"comment_id":1.5,"kind":"deleted","tags":["x",2],"writer":"ann"}}"#))
        #expect(Set(Self.findings(broken)) == [
            #"$.data.score "required" -"#,
            #"$.data.comment_id "type integer" "number""#,
            #"$.data.kind "one of \"created\", \"edited\"" "deleted""#,
            #"$.data.tags[*] "type string" "number""#,
            #"$.data.writer - "ann""#,
        ])
        #expect(throws: StoreConfigurationError.self) { _ = try EventSchema(file: file + ".missing") }
    }
}
