import Foundation
import TapCompareJSON
import Testing

@Suite("JSONTestSuite (test_parsing)")
struct JSONTestSuiteTests {
    @Test("the suite is present")
    func suiteIsPresent() {
        #expect(TestData.jsonTestSuiteFiles.count > 300, "expected the JSONTestSuite files under \(TestData.jsonTestSuiteParsing.path)")
    }

    /// y_ accepted, n_ rejected, i_ either; none may crash or hang (a crash fails the whole run).
    @Test("each file", arguments: TestData.jsonTestSuiteFiles)
    func file(_ name: String) throws {
        let data = try Data(contentsOf: TestData.jsonTestSuiteParsing.appendingPathComponent(name))
        let result = Result { try JSONParser.parse(Array(data)) }
        switch name.first {
        case "y":
            let value = try result.get()
            // What we accept survives a serialize/parse round trip unchanged.
            let again = try JSONValue(parsing: value.serialized())
            #expect(again == value)
        case "n":
            #expect(throws: JSONParseError.self, "\(name) must be rejected") { try result.get() }
        default:
            _ = result
        }
    }
}
