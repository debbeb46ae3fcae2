/// One field of a message, as `google/protobuf/descriptor.proto`'s `FieldDescriptorProto` describes it.
public struct FieldDescriptor: Sendable, Hashable {
    /// `FieldDescriptorProto.Type`, numbered as in descriptor.proto.
    public enum FieldType: Int, Sendable, Hashable {
        case double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool = 8, string = 9
        case group = 10, message = 11, bytes = 12, uint32 = 13, enumeration = 14, sfixed32 = 15, sfixed64 = 16
        case sint32 = 17, sint64 = 18

        /// The wire type a single (unpacked) value of this type has.
        public var wireType: WireType {
            switch self {
            case .double, .fixed64, .sfixed64: return .fixed64
            case .float, .fixed32, .sfixed32: return .fixed32
            case .string, .bytes, .message: return .lengthDelimited
            case .group: return .startGroup
            case .int64, .uint64, .int32, .bool, .uint32, .enumeration, .sint32, .sint64: return .varint
            }
        }

        /// Whether a repeated field of this type may come packed (one length-delimited run of values).
        public var isPackable: Bool { self.wireType != .lengthDelimited && self.wireType != .startGroup }
    }

    /// `FieldDescriptorProto.Label`.
    public enum Label: Int, Sendable, Hashable {
        case optional = 1, required = 2, repeated = 3
    }

    public var name: String
    public var number: Int
    public var label: Label
    public var type: FieldType
    /// For message and enum fields, the fully-qualified type name with its leading dot (`.tapcompare.demo.Comment`).
    public var typeName: String?
    /// The proto3 JSON name: `json_name` when protoc wrote it (it always does), else lowerCamelCase of ``name``.
    public var jsonName: String
    /// The `oneof` this field belongs to (an index into the message's oneofs), synthetic ones included.
    public var oneofIndex: Int?
    /// `proto3_optional`: an explicit-presence scalar (its synthetic oneof is not a real oneof).
    public var proto3Optional: Bool

    public init(
        name: String, number: Int, label: Label = .optional, type: FieldType, typeName: String? = nil,
        jsonName: String? = nil, oneofIndex: Int? = nil, proto3Optional: Bool = false
    ) {
        self.name = name
        self.number = number
        self.label = label
        self.type = type
        self.typeName = typeName
        self.jsonName = jsonName ?? FieldDescriptor.lowerCamelCase(name)
        self.oneofIndex = oneofIndex
        self.proto3Optional = proto3Optional
    }

    public var isRepeated: Bool { self.label == .repeated }

    /// protoc's `ToJsonName`: underscores dropped, the letter after each one upper-cased.
    public static func lowerCamelCase(_ name: String) -> String {
        var out = ""
        var upperNext = false
        for c in name {
            if c == "_" {
                upperNext = true
            } else if upperNext {
                out += c.uppercased()
                upperNext = false
            } else {
                out.append(c)
            }
        }
        return out
    }
}
