import Foundation
import TapCompareCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ledger's text form of a time, `2026-11-22T02:04:33.123Z` (UTC, milliseconds, see `SCHEMA.md`): how SQLite
/// stores `recorded_at`, how the reader gets times back from both backends, how partition names and messages spell
/// days, and how reports and the review API write and read times. One codec for the writer, the reader and the
/// review. Written by hand because it runs once per stored row (and once per aggregate row a report reads), and
/// `ISO8601DateFormatter` is both slow and not `Sendable`.
public enum LedgerTime {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, rounding down to the millisecond after rounding to the
    /// microsecond: a time parsed from its own text (whose `Double` may fall a hair short of the millisecond)
    /// formats back to the same text.
    ///
    /// Arithmetic on the day count (`CivilDate`) written into 24 bytes, no `gmtime_r` and no appends:
    /// it runs for every stored row (bench/results/ledger.md).
    public static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let totalMillis = Int64((micros / 1000).rounded(.down))
        let seconds = totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000
        let millis = Int(totalMillis - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = CivilDate.fromDays(Int(days))
        guard (0...9999).contains(year) else { return Self.formatWideYear(year, month, day, secondOfDay, millis) }
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ value: Int, _ width: Int, at index: Int) {
                var v = value
                for i in stride(from: index + width - 1, through: index, by: -1) {
                    out[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                    v /= 10
                }
            }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 17)
            out[19] = UInt8(ascii: ".")
            put(millis, 3, at: 20)
            out[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// A year outside 0–9999 (no ledger row holds one): printed as it is, at least four digits, as the parser's
    /// callers never see it.
    private static func formatWideYear(_ year: Int, _ month: Int, _ day: Int, _ secondOfDay: Int, _ millis: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value.magnitude)
            return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, also with a space for `T` (as SQLite's `datetime()` writes), without
    /// the fraction, with `+00`/`+00:00` or nothing for `Z`; or a bare date `YYYY-MM-DD` (midnight UTC), as
    /// `--from` and the API's `from=` accept.
    /// - Returns: `nil` for anything else (a month, day, hour, minute or second out of range included).
    public static func parse(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= utf8.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                let c = utf8[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        func byte(_ i: Int) -> UInt8? { i < utf8.count ? utf8[i] : nil }
        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2), byte(7) == UInt8(ascii: "-"),
              let day = number(8, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        guard utf8.count > 10 else { return Date(timeIntervalSince1970: Double(Int64(days) * 86_400)) }
        guard byte(10) == UInt8(ascii: "T") || byte(10) == UInt8(ascii: " "),
              let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2), byte(16) == UInt8(ascii: ":"),
              let second = number(17, 2), hour < 24, minute < 60, second < 61
        else { return nil }
        // The fraction: milliseconds exactly (what the ledger writes), finer digits as a fraction of them.
        var i = 19
        var fraction = 0
        var scale: Int64 = 1
        if byte(i) == UInt8(ascii: ".") {
            i += 1
            while let c = byte(i), c >= 0x30, c <= 0x39 {
                if scale < 1_000_000_000 {
                    fraction = fraction * 10 + Int(c - 0x30)
                    scale *= 10
                }
                i += 1
            }
        }
        let zone = utf8[i...]
        guard zone.isEmpty || zone.elementsEqual("Z".utf8) || zone.elementsEqual("+00".utf8) || zone.elementsEqual("+00:00".utf8) else { return nil }
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(secs) + Double(fraction) / Double(scale))
    }

    /// `20261122` for the UTC day holding `date`: the suffix of a Postgres partition's name.
    static func dayStamp(_ date: Date) -> String {
        let text = Self.format(date)
        return String(text.prefix(4)) + String(text.dropFirst(5).prefix(2)) + String(text.dropFirst(8).prefix(2))
    }

    /// The UTC midnight starting the day that holds `date`.
    static func startOfDay(_ date: Date) -> Date {
        let seconds = (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        return Date(timeIntervalSince1970: seconds)
    }

    /// The UTC hour (`…T10:00:00.000Z`) that holds `date`: the key of the hourly rollups.
    static func startOfHour(_ date: Date) -> Date {
        let seconds = (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600
        return Date(timeIntervalSince1970: seconds)
    }

    /// Parses a `20261122` day stamp back to its UTC midnight.
    static func parseDayStamp(_ stamp: Substring) -> Date? {
        guard stamp.count == 8, stamp.allSatisfy(\.isASCII), let value = Int(stamp) else { return nil }
        let year = value / 10_000, month = (value / 100) % 100, day = value % 100
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        return Date(timeIntervalSince1970: Double(CivilDate.days(year: year, month: month, day: day)) * 86_400)
    }
}
