import Foundation
import Testing
import TapCompareCore

@Suite struct IdentityAndDurationTests {
    @Test func lowercasedTextIsTheCanonicalFormInLowerCase() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let id = UUID.v7(milliseconds: generator.next() >> 20, using: &generator)
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(uuidString: id.lowercasedText) == id)
        }
        #expect(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).lowercasedText == "00000000-0000-0000-0000-000000000000")
        let ones = UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))
        #expect(ones.lowercasedText == "ffffffff-ffff-ffff-ffff-ffffffffffff")
    }

    @Test func uuidV7CarriesVersionVariantAndTime() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123)
        let id = UUID.v7(at: date)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        let ms = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(ms == 1_700_000_000_123)
    }

    @Test func uuidV7IsUniqueAndSortsByTime() {
        var seen = Set<UUID>()
        for _ in 0..<10_000 { seen.insert(UUID.v7()) }
        #expect(seen.count == 10_000)
        let early = UUID.v7(at: Date(timeIntervalSince1970: 1_000)).uuidString
        let late = UUID.v7(at: Date(timeIntervalSince1970: 2_000)).uuidString
        #expect(early < late)
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)), ("1h", .seconds(3600)), ("30d", .seconds(30 * 86_400)), ("500us", .microseconds(500)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: ["", "5", "s", "-1s", "5 sec", "1e3s", "5ss"])
    func rejectsMalformedDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func formatsDurations() {
        #expect(DurationParser.format(.seconds(5)) == "5s")
        #expect(DurationParser.format(.milliseconds(250)) == "250ms")
        #expect(DurationParser.format(.seconds(30 * 86_400)) == "30d")
    }
}
