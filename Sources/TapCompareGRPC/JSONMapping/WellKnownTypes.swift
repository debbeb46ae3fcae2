import TapCompareCore
import TapCompareJSON

/// The well-known types whose proto3 JSON form is not an object of their fields: `Timestamp` (RFC 3339 in UTC),
/// `Duration` (`"1.5s"`) and the wrappers (`Int64Value` etc., their bare value). Others (`Struct`, `Any`,
/// `FieldMask`, …) are decoded as ordinary messages: still compared field by field, only spelled differently from
/// the mapping.
enum WellKnownTypes {
    static let wrappers: Set<String> = [
        ".google.protobuf.DoubleValue", ".google.protobuf.FloatValue", ".google.protobuf.Int64Value",
        ".google.protobuf.UInt64Value", ".google.protobuf.Int32Value", ".google.protobuf.UInt32Value",
        ".google.protobuf.BoolValue", ".google.protobuf.StringValue", ".google.protobuf.BytesValue",
    ]

    /// `seconds` (field 1) and `nanos` (field 2) of a Timestamp or Duration, last occurrence winning; `nil` when
    /// either has another wire type than varint (then the message is decoded as an ordinary one).
    static func secondsAndNanos(_ bytes: ArraySlice<UInt8>) throws(WireFormatError) -> (seconds: Int64, nanos: Int32)? {
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        for field in try WireReader.fields(bytes) {
            guard case .varint(let v) = field.payload else { return nil }
            if field.number == 1 { seconds = Int64(bitPattern: v) }
            if field.number == 2 { nanos = Int32(truncatingIfNeeded: v) }
        }
        return (seconds, nanos)
    }

    /// `1972-01-01T10:00:20.021Z`: 0, 3, 6 or 9 fraction digits; `nil` outside 0001-01-01…9999-12-31 or with
    /// nanos outside 0…999,999,999 (the type's valid range: such a value is shown as its fields instead).
    static func timestamp(seconds: Int64, nanos: Int32) -> String? {
        guard seconds >= -62_135_596_800, seconds <= 253_402_300_799, nanos >= 0, nanos <= 999_999_999 else { return nil }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.fromDays(Int(days))
        let text = pad(Int64(year), 4) + "-" + pad(Int64(month), 2) + "-" + pad(Int64(day), 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
        return text + fraction(nanos) + "Z"
    }

    /// `-1.500s`: seconds and nanos of the same sign, 0, 3, 6 or 9 fraction digits; `nil` for mixed signs or out of
    /// the type's range (±315,576,000,000 s).
    static func duration(seconds: Int64, nanos: Int32) -> String? {
        // Range checks without `abs`, which traps on `Int64.min` / `Int32.min` (any bytes can arrive here).
        guard (-315_576_000_000...315_576_000_000).contains(seconds), (-999_999_999...999_999_999).contains(nanos),
            !(seconds > 0 && nanos < 0), !(seconds < 0 && nanos > 0)
        else {
            return nil
        }
        let negative = seconds < 0 || nanos < 0
        return (negative ? "-" : "") + String(seconds.magnitude) + fraction(Int32(nanos.magnitude)) + "s"
    }

    private static func fraction(_ nanos: Int32) -> String {
        if nanos == 0 { return "" }
        if nanos % 1_000_000 == 0 { return "." + pad(Int64(nanos / 1_000_000), 3) }
        if nanos % 1000 == 0 { return "." + pad(Int64(nanos / 1000), 6) }
        return "." + pad(Int64(nanos), 9)
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
