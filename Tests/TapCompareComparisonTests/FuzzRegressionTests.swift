import Foundation
import TapCompareFuzzProperties
import Testing

/// Replays every input kept in `fuzz/regressions/<target>/` through the property its fuzzer checks.
///
/// `scripts/fuzz.sh` copies each input a fuzzer crashes on into that folder, so a crash found once fails this test
/// until it is fixed, and stays fixed. The folders also hold hand-picked hostile inputs (nesting past the depth
/// limit, YAML alias bombs, numbers past double precision) that the properties must survive.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let folder = TestData.repo.appendingPathComponent("fuzz/regressions")

    static func inputs(_ property: FuzzProperty) -> [String] {
        let directory = folder.appendingPathComponent(property.rawValue).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .map { "\(property.rawValue)/\($0)" }
    }

    static let allInputs = FuzzProperty.allCases.flatMap(inputs)

    @Test("every fuzz target has kept inputs", arguments: FuzzProperty.allCases)
    func folderIsNotEmpty(_ property: FuzzProperty) {
        #expect(!Self.inputs(property).isEmpty, "fuzz/regressions/\(property.rawValue)/ is empty or missing")
    }

    @Test("a kept input still satisfies its property", arguments: allInputs)
    func replay(_ input: String) throws {
        let target = try #require(FuzzProperty(rawValue: String(input.prefix { $0 != "/" })))
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(input)))
        #expect(throws: Never.self, "fuzz/regressions/\(input)") { try target.check(bytes) }
    }
}
