import Foundation
import NIOCore
import Testing
@testable import TapCompareLedger

/// The bytes ``PostgresCopyText`` writes: what `COPY … FROM STDIN` (text format) reads back as the same values.
@Suite("COPY text encoding")
struct PostgresCopyTextTests {
    private func row(_ fill: (inout PostgresCopyText) -> Void) -> String {
        var text = PostgresCopyText(capacity: 64)
        fill(&text)
        text.endRow()
        return String(buffer: text.buffer)
    }

    @Test("backslash, tab, newline and carriage return are escaped; other bytes, Unicode included, go as they are")
    func escapes() {
        #expect(row { $0.text("plain") } == "plain\n")
        #expect(row { $0.text("a\tb\nc\r\nd\\e") } == "a\\tb\\nc\\r\\nd\\\\e\n")
        #expect(row { $0.text("\\N") } == "\\\\N\n", "the text \\N is not NULL")
        #expect(row { $0.text("\\.") } == "\\\\.\n", "nor the end-of-data marker")
        #expect(row { $0.text("☃ 😀 e\u{301} \u{7}") } == "☃ 😀 e\u{301} \u{7}\n")
        #expect(row { $0.text("") } == "\n")
    }

    @Test("columns are tab-separated; NULL is \\N, apart from the empty string")
    func nullsAndSeparators() {
        #expect(row {
            $0.text(nil as String?)
            $0.text("")
            $0.integer(nil as Int?)
            $0.integer(-42)
            $0.integer(0)
            $0.bool(true)
            $0.bool(false)
            $0.uuid(nil as UUID?)
            $0.double(nil)
        } == "\\N\t\t\\N\t-42\t0\tt\tf\t\\N\t\\N\n")
    }

    @Test("doubles in their shortest round-trip form; UUIDs in lowercase")
    func numbersAndUUIDs() throws {
        #expect(row {
            $0.double(0.1 + 0.2)
            $0.double(1e-7)
            $0.double(-2.5)
            $0.double(.infinity)
            $0.double(-.infinity)
            $0.double(.nan)
        } == "0.30000000000000004\t1e-07\t-2.5\tInfinity\t-Infinity\tNaN\n")
        for value in [0.1 + 0.2, 1e-7, 12_345.678_901_234, 1e21, 1.0 / 3.0] {
            let text = row { $0.double(value) }.dropLast()
            #expect(Double(String(text)) == value)
        }
        let id = try #require(UUID(uuidString: "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"))
        #expect(row { $0.uuid(id) } == "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\n")
    }

    @Test("timestamps in UTC with six fractional digits, before and after 2000, across leap days")
    func timestamps() {
        #expect(row { $0.timestamp(Date(timeIntervalSince1970: 0)) } == "1970-01-01 00:00:00.000000+00\n")
        #expect(row { $0.timestamp(Date(timeIntervalSince1970: 946_684_800)) } == "2000-01-01 00:00:00.000000+00\n")
        #expect(row { $0.timestamp(Date(timeIntervalSince1970: 951_825_600.25)) } == "2000-02-29 12:00:00.250000+00\n")
        // The microsecond PostgresNIO's binary encoding sends for this Date (its double arithmetic truncates
        // 849745303122999.9), so rows written before by binding and now by COPY share their primary key.
        #expect(row { $0.timestamp(Date(timeIntervalSince1970: 1_796_430_103.123)) } == "2026-12-05 00:21:43.122999+00\n")
        #expect(row { $0.timestamp(Date(timeIntervalSince1970: 946_684_799.5)) } == "1999-12-31 23:59:59.500000+00\n")
        // Every hour of a leap day stays on that day.
        let day = Date(timeIntervalSince1970: 1_709_164_800)  // 2024-02-29
        for ms in stride(from: 0, to: 86_400_000, by: 3_600_007) {
            let date = Date(timeIntervalSince1970: (day.timeIntervalSince1970 * 1000 + Double(ms)) / 1000)
            let text = row { $0.timestamp(date) }
            #expect(text.hasPrefix("2024-02-29 "), "\(text)")
        }
    }
}
