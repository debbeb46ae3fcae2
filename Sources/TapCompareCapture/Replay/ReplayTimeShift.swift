import Foundation
import TapCompareJSON

/// One `--shift-time` place: a request value holding a timestamp that is moved forward by the capture's age,
/// so a captured `created_after=<yesterday>` still asks for the last day when replayed a month later.
///
/// Syntax: `body:JSONPATH` (a path in the JSONPath subset of `diff-rules/`, e.g. `body:$.filter.created_after`
/// or `body:$.items[*].at`), `query:NAME` (every query parameter of that name) or `header:NAME` (every header of
/// that name, case-insensitive).
public enum ReplayTimeShift: Sendable, Hashable {
    case body(JSONPath)
    case query(String)
    case header(String)

    /// - Throws: ``ReplayError`` naming the flag, the value and the accepted forms.
    public init(parsing text: String) throws(ReplayError) {
        let usage = "write body:$.json.path, query:NAME or header:NAME, e.g. --shift-time body:$.created_after"
        guard let colon = text.firstIndex(of: ":") else {
            throw .badArgument("--shift-time '\(text)' names no place; \(usage)")
        }
        let kind = text[..<colon].lowercased()
        let rest = String(text[text.index(after: colon)...])
        guard !rest.isEmpty else { throw .badArgument("--shift-time '\(text)' is missing what follows '\(kind):'; \(usage)") }
        switch kind {
        case "body":
            do {
                self = .body(try JSONPath(parsing: rest))
            } catch {
                throw .badArgument("--shift-time '\(text)': \(error); \(usage)")
            }
        case "query":
            self = .query(rest)
        case "header":
            guard rest.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw .badArgument("--shift-time '\(text)': '\(rest)' is not a header name; \(usage)")
            }
            self = .header(rest)
        default:
            throw .badArgument("--shift-time '\(text)': unknown place '\(kind)'; \(usage)")
        }
    }
}

/// Moves timestamps by a number of seconds, keeping how they are written: RFC 3339 text keeps its offset and
/// its count of fraction digits, epoch numbers stay seconds or milliseconds, integers stay integers, and HTTP
/// dates (`If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate) stay HTTP dates.
///
/// Pure functions, so the formats are tested without a service.
public enum TimestampShifter {
    /// Epoch numbers at or above this are milliseconds (it is 2001-09-09 in milliseconds, and year 33658 in
    /// seconds): the usual way to tell the two apart.
    static let millisecondsThreshold = 1e12
    /// Epoch numbers below this (1973) are left alone: small numbers at a configured place are more likely
    /// counts or offsets than timestamps.
    static let smallestEpochSeconds = 1e8

    /// The text moved by `seconds`, or `nil` when it is not a timestamp (left as it is).
    public static func shift(_ text: String, by seconds: Double) -> String? {
        if let shifted = self.shiftRFC3339(text, by: seconds) { return shifted }
        if let number = JSONNumber(text), let shifted = self.shift(number, by: seconds) { return shifted.text }
        if let shifted = self.shiftHTTPDate(text, by: seconds) { return shifted }
        return nil
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` moved by `seconds` (whole seconds: the format has no fraction), or `nil`
    /// when the text is not an IMF-fixdate. The day name is written anew for the new date.
    static func shiftHTTPDate(_ text: String, by seconds: Double) -> String? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), days.contains(String(parts[0].dropLast())),
              parts[1].count == 2, let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
              parts[3].count == 4, let year = Int(parts[3]), parts[5] == "GMT"
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
        guard calendar.date(from: components).map({ calendar.dateComponents([.day, .month], from: $0) == DateComponents(month: month + 1, day: day) }) == true,
              let date = calendar.date(from: components)
        else { return nil }
        let moved = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date.addingTimeInterval(seconds.rounded()))
        guard let y = moved.year, let mo = moved.month, let d = moved.day, let h = moved.hour, let mi = moved.minute, let se = moved.second,
              let weekday = moved.weekday
        else { return nil }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[weekday - 1]), \(two(d)) \(months[mo - 1]) \(y) \(two(h)):\(two(mi)):\(two(se)) GMT"
    }

    /// The epoch number moved by `seconds` (milliseconds when it is that large), or `nil` when it does not look
    /// like an epoch timestamp.
    public static func shift(_ number: JSONNumber, by seconds: Double) -> JSONNumber? {
        let value = number.doubleValue
        guard value.isFinite, value >= self.smallestEpochSeconds else { return nil }
        let isInteger = !number.text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        let delta = value >= self.millisecondsThreshold ? seconds * 1000 : seconds
        if isInteger, let integer = Int64(number.text) {
            return JSONNumber(String(integer + Int64(delta.rounded())))
        }
        // A fractional epoch keeps its count of fraction digits.
        let digits = number.text.split(separator: ".").dropFirst().first.map { $0.prefix { $0.isNumber }.count } ?? 3
        return JSONNumber(String(format: "%.\(digits)f", value + delta))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` moved by `seconds`, in the same offset and precision.
    static func shiftRFC3339(_ text: String, by seconds: Double) -> String? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<from + count {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }
        var i = 19
        var fractionDigits = 0
        var fractionUnits: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            fractionDigits = i - start
            guard fractionDigits > 0, fractionDigits <= 9, let units = digits(start, fractionDigits) else { return nil }
            fractionUnits = Int64(units)
        }
        let zone: String
        if i < b.count, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if i + 6 == b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"),
                  digits(i + 1, 2) != nil, b[i + 3] == UInt8(ascii: ":"), digits(i + 4, 2) != nil {
            i += 6
        } else {
            return nil
        }
        zone = String(decoding: b[(19 + (fractionDigits > 0 ? fractionDigits + 1 : 0))...], as: UTF8.self)
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // The wall-clock fields are moved where they are, in the value's own offset, and written back in it:
        // a shift is the same number of seconds in every offset.
        guard let wall = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else {
            return nil
        }
        // In units of the value's precision, as integers: nine fraction digits of an epoch do not fit a Double.
        var unitsPerSecond: Int64 = 1
        for _ in 0..<fractionDigits { unitsPerSecond *= 10 }
        let moved = Int64(wall.timeIntervalSince1970) * unitsPerSecond + fractionUnits + Int64((seconds * Double(unitsPerSecond)).rounded())
        var wholeSeconds = moved / unitsPerSecond
        var units = moved % unitsPerSecond
        if units < 0 {
            units += unitsPerSecond
            wholeSeconds -= 1
        }
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(wholeSeconds)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var out = pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + String(UnicodeScalar(b[10]))
        out += pad(c.hour, 2) + ":" + pad(c.minute, 2) + ":" + pad(c.second, 2)
        if fractionDigits > 0 { out += "." + pad(Int(units), fractionDigits) }
        return out + zone
    }
}
