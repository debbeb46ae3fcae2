import TapCompareJSON

/// Turns protobuf messages into JSON values the diff engine compares.
///
/// With a descriptor for the message type: the proto3 JSON mapping — `json_name` keys in declaration order, enums
/// by name (an unknown number kept as a number), 64-bit integers as exact strings, floats as numbers (NaN and
/// infinities as strings), bytes as base64, repeated fields (packed or not) as arrays, maps as objects, nested
/// messages as objects. Fields absent on the wire are absent in the value: no defaults are invented, so two sides
/// are compared on what they sent. Unknown fields are kept under their number (`"99"`), decoded as
/// ``SchemalessDecoder`` does. A known field whose wire type contradicts the descriptor (a string where an int64
/// is declared) is decoded without the schema under the field's JSON name, so the changed type is reported at that
/// field rather than as a missing field plus an unknown one.
///
/// Without a descriptor (or for a type the set does not hold): ``SchemalessDecoder``.
public struct ProtoJSONDecoder: Sendable {
    public var descriptors: DescriptorSet?
    /// Deepest message nesting decoded; deeper is a ``WireFormatError``. Default 100 (protobuf's own recursion
    /// limit).
    public var maxDepth: Int

    public init(descriptors: DescriptorSet? = nil, maxDepth: Int = 100) {
        self.descriptors = descriptors
        self.maxDepth = maxDepth
    }

    /// Decodes one message of type `typeName` (fully qualified, leading dot optional), or by field number when
    /// `typeName` is `nil` or not in the set.
    /// - Throws: ``WireFormatError`` when the bytes are not a protobuf message.
    public func decode(_ bytes: ArraySlice<UInt8>, type typeName: String?) throws(WireFormatError) -> JSONValue {
        if let typeName, let descriptors, let message = descriptors.messages[typeName.hasPrefix(".") ? typeName : "." + typeName] {
            return try self.message(bytes, message, depth: 0)
        }
        return try SchemalessDecoder(maxDepth: self.maxDepth).decode(bytes)
    }

    /// What one field number has collected so far.
    private enum Slot {
        case single(JSONValue)
        case list([JSONValue])
        /// A singular message field sent in several parts: parsers merge them, so they are decoded together.
        case parts([UInt8])
        case map([JSONObject.Member])
    }

    private func message(_ bytes: ArraySlice<UInt8>, _ descriptor: MessageDescriptor, depth: Int) throws(WireFormatError) -> JSONValue {
        guard depth <= self.maxDepth else { throw WireFormatError(.tooDeep(limit: self.maxDepth), at: 0) }
        if let special = try self.wellKnown(bytes, descriptor, depth: depth) { return special }
        let schemaless = SchemalessDecoder(maxDepth: self.maxDepth)
        var slots: [Int: Slot] = [:]
        var unknownOrder: [Int] = []
        for wire in try WireReader.fields(bytes) {
            guard let field = descriptor.field(number: wire.number) else {
                if slots[wire.number] == nil { unknownOrder.append(wire.number) }
                let value = try self.unknown(wire, schemaless, depth: depth)
                switch slots[wire.number] {
                case .single(let first): slots[wire.number] = .list([first, value])
                case .list(let list): slots[wire.number] = .list(list + [value])
                default: slots[wire.number] = .single(value)
                }
                continue
            }
            let entry = field.typeName.flatMap { self.descriptors?.messages[$0] }
            if field.isRepeated, field.type == .message, let entry, entry.isMapEntry, case .lengthDelimited(let b) = wire.payload {
                var members: [JSONObject.Member] = []
                if case .map(let m) = slots[wire.number] { members = m }
                members.append(try self.mapEntry(b, entry, depth: depth + 1))
                slots[wire.number] = .map(members)
            } else if field.isRepeated {
                var list: [JSONValue] = []
                if case .list(let l) = slots[wire.number] { list = l }
                if field.type.isPackable, case .lengthDelimited(let run) = wire.payload {
                    list += try self.packed(run, field)
                } else {
                    list.append(try self.value(wire, field, depth: depth))
                }
                slots[wire.number] = .list(list)
            } else if field.type == .message, case .lengthDelimited(let b) = wire.payload {
                var parts: [UInt8] = []
                if case .parts(let p) = slots[wire.number] { parts = p }
                parts += b
                slots[wire.number] = .parts(parts)
            } else {
                // Last one wins for a singular scalar, as every protobuf parser reads it.
                slots[wire.number] = .single(try self.value(wire, field, depth: depth))
            }
        }
        var members: [JSONObject.Member] = []
        for field in descriptor.fields {
            guard let slot = slots[field.number] else { continue }
            members.append(JSONObject.Member(key: field.jsonName, value: try self.finish(slot, field, depth: depth)))
        }
        for number in unknownOrder {
            guard let slot = slots[number] else { continue }
            let value: JSONValue
            switch slot {
            case .single(let v): value = v
            case .list(let l): value = .array(l)
            case .parts, .map: continue
            }
            members.append(JSONObject.Member(key: String(number), value: value))
        }
        return .object(JSONObject(members))
    }

    /// A well-known type in its proto3 JSON form (``WellKnownTypes``), or `nil` for any other message.
    private func wellKnown(_ bytes: ArraySlice<UInt8>, _ descriptor: MessageDescriptor, depth: Int) throws(WireFormatError) -> JSONValue? {
        switch descriptor.fullName {
        case ".google.protobuf.Timestamp":
            guard let (seconds, nanos) = try WellKnownTypes.secondsAndNanos(bytes) else { return nil }
            return WellKnownTypes.timestamp(seconds: seconds, nanos: nanos).map(JSONValue.string)
        case ".google.protobuf.Duration":
            guard let (seconds, nanos) = try WellKnownTypes.secondsAndNanos(bytes) else { return nil }
            return WellKnownTypes.duration(seconds: seconds, nanos: nanos).map(JSONValue.string)
        case let name where WellKnownTypes.wrappers.contains(name):
            guard let field = descriptor.field(number: 1) else { return nil }
            var value: JSONValue?
            for wire in try WireReader.fields(bytes) where wire.number == 1 {
                value = try self.value(wire, field, depth: depth)
            }
            return value ?? self.zero(field)
        default:
            return nil
        }
    }

    private func finish(_ slot: Slot, _ field: FieldDescriptor, depth: Int) throws(WireFormatError) -> JSONValue {
        switch slot {
        case .single(let v): return v
        case .list(let l): return .array(l)
        case .map(let m): return .object(JSONObject(m))
        case .parts(let bytes):
            guard let typeName = field.typeName, let nested = self.descriptors?.messages[typeName] else {
                return try SchemalessDecoder(maxDepth: self.maxDepth).decode(bytes[...], depth: depth + 1)
            }
            return try self.message(bytes[...], nested, depth: depth + 1)
        }
    }

    private func unknown(_ wire: WireField, _ schemaless: SchemalessDecoder, depth: Int) throws(WireFormatError) -> JSONValue {
        switch wire.payload {
        case .varint(let v): return ProtoScalar.number(v)
        case .fixed64(let v): return ProtoScalar.number(v)
        case .fixed32(let v): return ProtoScalar.number(v)
        case .lengthDelimited(let b): return schemaless.lengthDelimited(b, depth: depth + 1)
        }
    }

    /// One value of `field` as the descriptor types it; a wire type that contradicts the descriptor is decoded
    /// without the schema (see the type's documentation).
    private func value(_ wire: WireField, _ field: FieldDescriptor, depth: Int) throws(WireFormatError) -> JSONValue {
        switch (wire.payload, field.type) {
        case (.varint(let v), .int64): return ProtoScalar.string(Int64(bitPattern: v))
        case (.varint(let v), .uint64): return ProtoScalar.string(v)
        case (.varint(let v), .sint64): return ProtoScalar.string(ZigZag.decode64(v))
        case (.varint(let v), .int32): return ProtoScalar.number(Int32(truncatingIfNeeded: v))
        case (.varint(let v), .uint32): return ProtoScalar.number(UInt32(truncatingIfNeeded: v))
        case (.varint(let v), .sint32): return ProtoScalar.number(ZigZag.decode32(v))
        case (.varint(let v), .bool): return .bool(v != 0)
        case (.varint(let v), .enumeration): return self.enumValue(Int32(truncatingIfNeeded: v), field)
        case (.fixed64(let v), .fixed64): return ProtoScalar.string(v)
        case (.fixed64(let v), .sfixed64): return ProtoScalar.string(Int64(bitPattern: v))
        case (.fixed64(let v), .double): return ProtoScalar.double(Double(bitPattern: v))
        case (.fixed32(let v), .fixed32): return ProtoScalar.number(v)
        case (.fixed32(let v), .sfixed32): return ProtoScalar.number(Int32(bitPattern: v))
        case (.fixed32(let v), .float): return ProtoScalar.float(Float(bitPattern: v))
        case (.lengthDelimited(let b), .string): return ProtoScalar.utf8(b)
        case (.lengthDelimited(let b), .bytes): return ProtoScalar.base64(b)
        case (.lengthDelimited(let b), .message):
            guard let typeName = field.typeName, let nested = self.descriptors?.messages[typeName] else {
                return try SchemalessDecoder(maxDepth: self.maxDepth).decode(b, depth: depth + 1)
            }
            return try self.message(b, nested, depth: depth + 1)
        default:
            return try self.unknown(wire, SchemalessDecoder(maxDepth: self.maxDepth), depth: depth)
        }
    }

    private func enumValue(_ number: Int32, _ field: FieldDescriptor) -> JSONValue {
        if let typeName = field.typeName, let name = self.descriptors?.enums[typeName]?.name(of: number) { return .string(name) }
        return ProtoScalar.number(number)
    }

    /// A packed run of scalar values (the proto3 default for repeated scalars).
    private func packed(_ run: ArraySlice<UInt8>, _ field: FieldDescriptor) throws(WireFormatError) -> [JSONValue] {
        var reader = WireReader(run)
        var values: [JSONValue] = []
        while !reader.isAtEnd {
            let payload: WireField.Payload
            switch field.type.wireType {
            case .fixed64: payload = .fixed64(try reader.readFixed64(field: field.number))
            case .fixed32: payload = .fixed32(try reader.readFixed32(field: field.number))
            default: payload = .varint(try reader.readVarint())
            }
            values.append(try self.value(WireField(number: field.number, payload: payload, offset: 0), field, depth: 0))
        }
        return values
    }

    /// One `map<K, V>` entry: key (field 1) as the JSON member name, value (field 2). An absent key or value is the
    /// type's zero, as every protobuf parser reads a map entry (there is no "absent" inside a map).
    private func mapEntry(_ bytes: ArraySlice<UInt8>, _ entry: MessageDescriptor, depth: Int) throws(WireFormatError) -> JSONObject.Member {
        var key: JSONValue?
        var value: JSONValue?
        for wire in try WireReader.fields(bytes) {
            if wire.number == 1, let f = entry.field(number: 1) { key = try self.value(wire, f, depth: depth) }
            if wire.number == 2, let f = entry.field(number: 2) { value = try self.value(wire, f, depth: depth) }
        }
        let keyText: String
        switch key ?? entry.field(number: 1).map(self.zero) ?? .string("") {
        case .string(let s): keyText = s
        case .number(let n): keyText = n.text
        case .bool(let b): keyText = b ? "true" : "false"
        default: keyText = ""
        }
        return JSONObject.Member(key: keyText, value: value ?? entry.field(number: 2).map(self.zero) ?? .null)
    }

    /// The zero value of a field's type in the JSON mapping.
    private func zero(_ field: FieldDescriptor) -> JSONValue {
        switch field.type {
        case .int64, .uint64, .sint64, .fixed64, .sfixed64: return .string("0")
        case .int32, .uint32, .sint32, .fixed32, .sfixed32, .double, .float: return 0
        case .bool: return false
        case .string, .bytes: return ""
        case .enumeration: return self.enumValue(0, field)
        case .message, .group: return .object(JSONObject())
        }
    }
}
