import TapCompareCore
import TapCompareJSON

/// A point in time with nanosecond precision, for `equivalent: timestamp`.
///
/// Built from RFC 3339 text with any offset (`2024-05-01T12:00:00+02:00`), epoch seconds or epoch milliseconds
/// (a JSON number or a string of digits). A number whose magnitude is at least 10^11 is read as milliseconds:
/// 10^11 seconds is the year 5138, 10^11 milliseconds is 1973, so every realistic value reads unambiguously.
public struct Instant: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: Instant, b: Instant) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// The instant a JSON value denotes, or `nil` when it is not a timestamp.
    public init?(_ value: JSONValue) {
        switch value {
        case .number(let n): self.init(epoch: n)
        case .string(let s):
            if let i = Instant(rfc3339: s) {
                self = i
            } else if let n = JSONNumber(s) {
                self.init(epoch: n)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// Epoch seconds, or milliseconds when the magnitude is at least 10^11. Exact to the nanosecond.
    public init?(epoch number: JSONNumber) {
        let c = number.canonical
        let digits = Array(c.digits.utf8)
        // Magnitude's decimal exponent: value = 0.d1d2... × 10^(count + exponent)
        let magnitude = digits.count + c.exponent
        let isMillis = magnitude >= 12  // >= 10^11
        let shift = isMillis ? 6 : 9  // to nanoseconds
        let scale = c.exponent + shift  // power of ten of the last digit, in nanoseconds
        guard digits.count + scale <= 19 else { return nil }  // beyond Int64 nanoseconds (±292 years)
        var nanos: Int64 = 0
        for (i, d) in digits.enumerated() {
            guard digits.count - 1 - i + scale >= 0 else { break }  // below a nanosecond: truncated
            let (m, o1) = nanos.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d - 0x30))
            guard !o1, !o2 else { return nil }
            nanos = a
        }
        if scale > 0 {
            for _ in 0..<scale {
                let (m, o) = nanos.multipliedReportingOverflow(by: 10)
                guard !o else { return nil }
                nanos = m
            }
        }
        if c.negative { nanos = -nanos }
        var s = nanos / 1_000_000_000
        var r = nanos % 1_000_000_000
        if r < 0 {
            r += 1_000_000_000
            s -= 1
        }
        self.init(seconds: s, nanoseconds: Int32(r))
    }

    /// Parses RFC 3339 `date-time` (`T` or a space between date and time, `Z` or `±hh:mm`, any fraction).
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for k in from..<(from + count) {
                let d = b[k] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == 0x2D, let month = num(5, 2), b[7] == 0x2D, let day = num(8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
            let hour = num(11, 2), b[13] == 0x3A, let minute = num(14, 2), b[16] == 0x3A, let second = num(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100_000_000
            let start = i
            while i < b.count, b[i] &- 0x30 < 10 {
                nanos += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = num(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        self.init(seconds: seconds, nanoseconds: Int32(nanos))
    }
}
