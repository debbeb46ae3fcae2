import TapCompareJSON

/// Decodes a message with no descriptor: an object keyed by field number (`"1"`, `"2"`, …) in wire order, so a
/// changed field is reported as `$.3.1` all the same.
///
/// - varint, fixed32, fixed64: a number, unsigned, as exact decimal text (the sign and width are the schema's to
///   know; both sides are read alike, so equal bytes stay equal and changed bytes differ);
/// - length-delimited: printable UTF-8 text as a string; otherwise a nested message when the bytes parse fully as
///   one; otherwise any other valid UTF-8 as a string; otherwise base64. Printable text is tried before a message
///   because short text often parses as a message by accident (`"hi"` is field 13 = 105), while a real nested
///   message almost always holds a tag or length byte below 0x20;
/// - a field number seen more than once: an array of its values in order.
struct SchemalessDecoder {
    var maxDepth: Int

    func decode(_ bytes: ArraySlice<UInt8>, depth: Int = 0) throws(WireFormatError) -> JSONValue {
        guard depth <= self.maxDepth else { throw WireFormatError(.tooDeep(limit: self.maxDepth), at: 0) }
        let fields = try WireReader.fields(bytes)
        var order: [Int] = []
        var values: [Int: [JSONValue]] = [:]
        for field in fields {
            let value: JSONValue
            switch field.payload {
            case .varint(let v): value = ProtoScalar.number(v)
            case .fixed64(let v): value = ProtoScalar.number(v)
            case .fixed32(let v): value = ProtoScalar.number(v)
            case .lengthDelimited(let b): value = self.lengthDelimited(b, depth: depth)
            }
            if values[field.number] == nil { order.append(field.number) }
            values[field.number, default: []].append(value)
        }
        return .object(JSONObject(order.map { number in
            let list = values[number]!
            return JSONObject.Member(key: String(number), value: list.count == 1 ? list[0] : .array(list))
        }))
    }

    func lengthDelimited(_ bytes: ArraySlice<UInt8>, depth: Int) -> JSONValue {
        if bytes.isEmpty { return .string("") }
        let text = String(validating: bytes, as: UTF8.self)
        if let text, Self.isPrintable(text) { return .string(text) }
        if depth < self.maxDepth, let message = try? self.decode(bytes, depth: depth + 1) { return message }
        if let text { return .string(text) }
        return ProtoScalar.base64(bytes)
    }

    /// No control characters but tab, line feed and carriage return, and none of those three first: a field-1
    /// tag of a nested message is one of them (`0x09`, `0x0A`, `0x0D`), text rarely starts with one.
    static func isPrintable(_ text: String) -> Bool {
        if let first = text.unicodeScalars.first, first.value < 0x20 { return false }
        return text.unicodeScalars.allSatisfy { s in
            (s.value >= 0x20 && s.value != 0x7F && !(0x80...0x9F).contains(s.value)) || s == "\t" || s == "\n" || s == "\r"
        }
    }
}
