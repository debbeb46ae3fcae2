import Foundation

/// The ledger's text form of a time, `2026-11-22T02:04:33.123Z` (UTC, milliseconds, see `SCHEMA.md`), written and
/// read by hand: the report parses one per aggregate row, and `ISO8601DateFormatter` is slow and not `Sendable`.
public enum LedgerTimeText {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, rounding down to the millisecond.
    public static func format(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let millis = Int(((totalMillis % 1000) + 1000) % 1000)
        let totalSeconds = (totalMillis - Int64(millis)) / 1000
        var days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let secondsOfDay = Int(totalSeconds - days * 86_400)
        // Civil-from-days (Howard Hinnant's algorithm): exact for every proleptic Gregorian date.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondsOfDay / 3600, 2) + ":"
            + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2) + "." + pad(millis, 3) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (also with a space for `T`, or `+00`/`+00:00` for `Z`), or a bare date
    /// `YYYY-MM-DD` (midnight UTC).
    /// - Returns: `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let c = u[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = num(0, 4), u.count >= 10, u[4] == 45, let month = num(5, 2), u[7] == 45, let day = num(8, 2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var i = 10
        if u.count > 10 {
            guard u[10] == 84 || u[10] == 32, let h = num(11, 2), u.count > 13, u[13] == 58, let m = num(14, 2),
                  u.count > 16, u[16] == 58, let s = num(17, 2), h < 24, m < 60, s < 61
            else { return nil }
            hour = h; minute = m; second = s
            i = 19
            if i < u.count && u[i] == 46 {
                i += 1
                var scale = 0.1
                while i < u.count, u[i] >= 48 && u[i] <= 57 {
                    fraction += Double(u[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
            }
            let zone = String(decoding: u[i...], as: UTF8.self)
            guard zone == "Z" || zone == "+00" || zone == "+00:00" || zone.isEmpty else { return nil }
        }
        // Days-from-civil (inverse of the algorithm in `format`).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
