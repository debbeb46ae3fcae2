import TapCompareJSON
import Testing

@Suite("JSON parser and value semantics")
struct JSONParserTests {
    @Test("1 and true are different values and different types")
    func oneIsNotTrue() throws {
        let one = try JSONValue(parsing: "1")
        let yes = try JSONValue(parsing: "true")
        #expect(one != yes)
        #expect(one.kind == .number)
        #expect(yes.kind == .boolean)
        #expect(try JSONValue(parsing: "[1,0]") != JSONValue(parsing: "[true,false]"))
    }

    @Test("numbers beyond Double precision stay distinct")
    func beyondDouble() throws {
        let a = try JSONValue(parsing: "9007199254740993")  // 2^53 + 1
        let b = try JSONValue(parsing: "9007199254740992")  // 2^53
        #expect(a != b)
        #expect(Double("9007199254740993") == Double("9007199254740992"), "the premise: a Double merges them")
        #expect(a.numberValue?.text == "9007199254740993")
        #expect(try JSONValue(parsing: "123456789012345678901234567890") != JSONValue(parsing: "123456789012345678901234567891"))
        #expect(try JSONValue(parsing: "0.10000000000000000001") != JSONValue(parsing: "0.1"))
    }

    @Test("numbers compare by exact decimal value", arguments: [
        ("1.0", "1"), ("1e2", "100"), ("1E+2", "100.000"), ("0.1e1", "1"), ("-0", "0"), ("12.50", "1.25e1"),
        ("1e-2", "0.01"), ("0e5", "0.0"), ("-1.5E3", "-1500"),
    ])
    func exactEquality(_ pair: (String, String)) throws {
        #expect(try JSONValue(parsing: pair.0) == JSONValue(parsing: pair.1))
        #expect(try JSONValue(parsing: pair.0).hashValue == JSONValue(parsing: pair.1).hashValue)
    }

    @Test("different values differ", arguments: [("1", "-1"), ("1e2", "1e3"), ("0.1", "0.01"), ("10", "1"), ("1.5", "15")])
    func exactInequality(_ pair: (String, String)) throws {
        #expect(try JSONValue(parsing: pair.0) != JSONValue(parsing: pair.1))
    }

    @Test("the number text is kept as written")
    func numberText() throws {
        #expect(try JSONValue(parsing: "[1.50e+02]").serialized() == "[1.50e+02]")
    }

    @Test("escapes decode to the same string as the literal character")
    func escapes() throws {
        #expect(try JSONValue(parsing: #""\u00e9""#) == JSONValue(parsing: "\"é\""))
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#).stringValue == "😀")
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\n\t""#).stringValue == "a\"b\\c/d\n\t")
    }

    @Test("lone surrogates and invalid UTF-8 are rejected", arguments: [#""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#])
    func loneSurrogates(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("duplicate keys are accepted, recorded, and the last occurrence wins")
    func duplicateKeys() throws {
        let value = try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.hasDuplicateKeys)
        #expect(object.duplicateKeys == ["a"])
        #expect(value["a"] == 3)
        #expect(value == (try JSONValue(parsing: #"{"b":2,"a":3}"#)))
        #expect(!(try JSONValue(parsing: #"{"a":1,"b":2}"#).objectHasDuplicates))
        // The same key spelled once raw and once escaped is still a duplicate.
        #expect(try JSONValue(parsing: #"{"a":1,"\u0061":2}"#).objectHasDuplicates)
        #expect(try JSONValue(parsing: #"{"created_at":1,"updated_at":2,"xreated_at":3,"created_at":4}"#).objectHasDuplicates)
        #expect(!(try JSONValue(parsing: #"{"created_at":1,"updated_at":2,"xreated_at":3}"#).objectHasDuplicates))
    }

    @Test(
        "parseDocument tells whether any object of the document repeats a key, at any depth and in any spelling",
        arguments: [
            (#"{"a":1,"b":{"a":2}}"#, false),
            (#"[1,1,{"x":[1,1]}]"#, false),
            (#"{"a":1,"a":2}"#, true),
            (#"[{"x":[{"id":1,"b":0,"id":2}]}]"#, true),
            (#"{"a":1,"\u0061":2}"#, true),
            (#"{"a":{"b":1},"c":{"b":1}}"#, false),
        ]
    )
    func parseDocumentReportsDuplicateKeys(_ text: String, _ expected: Bool) throws {
        let bytes = Array(text.utf8)
        let document = try bytes.withUnsafeBytes { try JSONParser.parseDocument($0) }
        #expect(document.hasDuplicateKeys == expected)
        #expect(document.value == (try JSONValue(parsing: text)))
    }

    @Test("strings read eight bytes at a time end, escape and fail at every offset exactly as byte by byte")
    func stringsAtEveryOffset() throws {
        for n in 0..<20 {
            let pad = String(repeating: "a", count: n)
            // Plain, ending at every length.
            #expect(try JSONValue(parsing: "\"\(pad)\"") == .string(pad))
            // An escape after n plain bytes.
            #expect(try JSONValue(parsing: "\"\(pad)\\n\(pad)\"") == .string(pad + "\n" + pad))
            // Non-ASCII inside the words is kept, and validated.
            #expect(try JSONValue(parsing: "\"\(pad)é\(pad)\"") == .string(pad + "é" + pad))
            let invalid = [0x22] + Array(pad.utf8) + [0xC3, 0x28] + Array(pad.utf8) + [0x22]
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: invalid) }
            // A control character after n plain bytes, and DEL (0x7F), which is allowed.
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22] + Array(pad.utf8) + [0x01, 0x61, 0x22]) }
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22] + Array(pad.utf8) + [0x1F, 0x22]) }
            #expect(try JSONValue(parsing: [0x22] + Array(pad.utf8) + [0x7F, 0x20, 0x22]) == .string(pad + "\u{7F} "))
            // Unterminated at every length.
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: "\"\(pad)") }
        }
    }

    @Test("number equality agrees with the exact canonical form on every pair, and with hashing")
    func numberEqualityIsCanonical() throws {
        let texts = [
            "0", "-0", "0.0", "0e5", "-0.0e-0", "1", "1.0", "10e-1", "100", "1e2", "1E+2", "1.00e2", "120", "12e1", "1.2e2",
            "0.00120e5", "0.001", "1e-3", "10e-4", "-1", "-1.0", "-1e0", "12.5", "125e-1", "1250e-2", "0.10", "0.1", "1.01",
            "1.1", "101e-2", "11e-1", "9007199254740993", "9007199254740992", "90071992547409930e-1", "1000000000000000000000",
            "1e21", "-12.50", "-125e-1",
        ]
        let numbers = texts.map { JSONNumber($0)! }
        for a in numbers {
            for b in numbers {
                #expect((a == b) == (a.canonical == b.canonical), "\(a) vs \(b)")
                if a == b { #expect(a.hashValue == b.hashValue, "\(a) vs \(b)") }
            }
        }
    }

    @Test("nesting is limited")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        _ = try JSONValue(parsing: ok)
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: tooDeep) }
        #expect(error?.reason.contains("nesting deeper than 512") == true)
        // A hostile body far deeper than the stack could take fails fast instead of crashing.
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: "[", count: 1_000_000)) }
    }

    @Test("errors name the byte offset")
    func errorOffset() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"a": tru}"#) }
        #expect(error?.offset == 6)
        #expect(error?.description.hasPrefix("invalid JSON at byte 6") == true)
    }

    @Test("key order does not matter; array order does")
    func ordering() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":[1,2]}"#) == JSONValue(parsing: #"{"b":[1,2],"a":1}"#))
        #expect(try JSONValue(parsing: "[1,2]") != JSONValue(parsing: "[2,1]"))
    }

    @Test("compact serialization escapes only what JSON requires")
    func serialization() throws {
        let value = try JSONValue(parsing: " { \"k\" : [ 1 , \"é\\u0001\\n\\\"\" , null , true ] } ")
        #expect(value.serialized() == #"{"k":[1,"é\u0001\n\"",null,true]}"#)
    }
}

extension JSONValue {
    fileprivate var objectHasDuplicates: Bool {
        if case .object(let o) = self { return o.hasDuplicateKeys }
        return false
    }
}
