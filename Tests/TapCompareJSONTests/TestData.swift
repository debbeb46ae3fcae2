import Foundation

/// Locates `<repo>/../shared/testdata` from this source file, so tests read the shared data in place.
enum TestData {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TapCompareJSONTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo
        .deletingLastPathComponent()
        .appendingPathComponent("shared/testdata")

    static let jsonTestSuiteParsing = root.appendingPathComponent("JSONTestSuite/test_parsing")

    /// Every JSONTestSuite parsing file name, sorted.
    static var jsonTestSuiteFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: jsonTestSuiteParsing.path)) ?? [])
            .filter { $0.hasSuffix(".json") }
            .sorted()
    }
}
