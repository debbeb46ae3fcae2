import Foundation
import TapCompareJSON

/// Scalars in the proto3 JSON mapping (protobuf.dev "ProtoJSON Format"): 64-bit integers as strings (exact, as
/// the mapping says, so nothing is rounded through a `Double`), 32-bit integers as numbers, NaN and infinities as
/// strings, bytes as base64.
enum ProtoScalar {
    static func number<T: BinaryInteger>(_ value: T) -> JSONValue {
        .number(JSONNumber(String(value))!)  // an integer's decimal text is always a JSON number
    }

    static func string<T: BinaryInteger>(_ value: T) -> JSONValue { .string(String(value)) }

    static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return JSONNumber("\(value)").map(JSONValue.number) ?? .string("\(value)")
    }

    /// A `float` printed as the shortest text that reads back as the same `Float` (`0.1`, not `0.10000000149`).
    static func float(_ value: Float) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return JSONNumber("\(value)").map(JSONValue.number) ?? .string("\(value)")
    }

    static func base64(_ bytes: ArraySlice<UInt8>) -> JSONValue {
        .string(Data(bytes).base64EncodedString())
    }

    static func utf8(_ bytes: ArraySlice<UInt8>) -> JSONValue {
        .string(String(decoding: bytes, as: UTF8.self))
    }
}
