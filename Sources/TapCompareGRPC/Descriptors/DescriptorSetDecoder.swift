/// Reads a `FileDescriptorSet` with our own ``WireReader``, by the field numbers of
/// `google/protobuf/descriptor.proto`. Only what decoding messages and naming methods needs is kept; every other
/// field (options, source info, extensions, reserved ranges) is skipped by wire type.
enum DescriptorSetDecoder {
    struct Invalid: Error {
        var reason: String
    }

    static func decode(_ bytes: [UInt8]) throws -> DescriptorSet {
        var set = DescriptorSet()
        for field in try WireReader.fields(bytes[...]) {
            // FileDescriptorSet.file = 1
            guard field.number == 1 else { continue }
            try self.file(try self.bytes(field, "FileDescriptorSet.file"), into: &set)
        }
        return set
    }

    /// FileDescriptorProto: name 1, package 2, message_type 4, enum_type 5, service 6.
    private static func file(_ bytes: ArraySlice<UInt8>, into set: inout DescriptorSet) throws {
        var name = ""
        var package = ""
        var messageBytes: [ArraySlice<UInt8>] = []
        var enumBytes: [ArraySlice<UInt8>] = []
        var serviceBytes: [ArraySlice<UInt8>] = []
        for field in try WireReader.fields(bytes) {
            switch field.number {
            case 1: name = try self.string(field, "FileDescriptorProto.name")
            case 2: package = try self.string(field, "FileDescriptorProto.package")
            case 4: messageBytes.append(try self.bytes(field, "FileDescriptorProto.message_type"))
            case 5: enumBytes.append(try self.bytes(field, "FileDescriptorProto.enum_type"))
            case 6: serviceBytes.append(try self.bytes(field, "FileDescriptorProto.service"))
            default: continue
            }
        }
        let scope = package.isEmpty ? "" : "." + package
        var messages: [MessageDescriptor] = []
        var enums: [EnumDescriptor] = []
        for m in messageBytes { try self.message(m, scope: scope, messages: &messages, enums: &enums) }
        for e in enumBytes { enums.append(try self.enumeration(e, scope: scope)) }
        var services: [ServiceDescriptor] = []
        for s in serviceBytes { services.append(try self.service(s, package: package)) }
        set.add(file: name, messages: messages, enums: enums, services: services)
    }

    /// DescriptorProto: name 1, field 2, nested_type 3, enum_type 4, options 7 (MessageOptions.map_entry 7),
    /// oneof_decl 8 (OneofDescriptorProto.name 1).
    private static func message(
        _ bytes: ArraySlice<UInt8>, scope: String, messages: inout [MessageDescriptor], enums: inout [EnumDescriptor]
    ) throws {
        var name = ""
        var fieldBytes: [ArraySlice<UInt8>] = []
        var nested: [ArraySlice<UInt8>] = []
        var nestedEnums: [ArraySlice<UInt8>] = []
        var isMapEntry = false
        var oneofs: [String] = []
        for field in try WireReader.fields(bytes) {
            switch field.number {
            case 1: name = try self.string(field, "DescriptorProto.name")
            case 2: fieldBytes.append(try self.bytes(field, "DescriptorProto.field"))
            case 3: nested.append(try self.bytes(field, "DescriptorProto.nested_type"))
            case 4: nestedEnums.append(try self.bytes(field, "DescriptorProto.enum_type"))
            case 7:
                for option in try WireReader.fields(try self.bytes(field, "DescriptorProto.options")) where option.number == 7 {
                    isMapEntry = try self.varint(option, "MessageOptions.map_entry") != 0
                }
            case 8:
                var oneofName = ""
                for o in try WireReader.fields(try self.bytes(field, "DescriptorProto.oneof_decl")) where o.number == 1 {
                    oneofName = try self.string(o, "OneofDescriptorProto.name")
                }
                oneofs.append(oneofName)
            default: continue
            }
        }
        guard !name.isEmpty else { throw Invalid(reason: "a message in scope '\(scope)' has no name") }
        let fullName = scope + "." + name
        let fields = try fieldBytes.map { try self.field($0, message: fullName) }
        messages.append(MessageDescriptor(fullName: fullName, fields: fields, isMapEntry: isMapEntry, oneofs: oneofs))
        for n in nested { try self.message(n, scope: fullName, messages: &messages, enums: &enums) }
        for e in nestedEnums { enums.append(try self.enumeration(e, scope: fullName)) }
    }

    /// FieldDescriptorProto: name 1, number 3, label 4, type 5, type_name 6, oneof_index 9, json_name 10,
    /// proto3_optional 17.
    private static func field(_ bytes: ArraySlice<UInt8>, message: String) throws -> FieldDescriptor {
        var name = ""
        var number = 0
        var label = FieldDescriptor.Label.optional
        var type: FieldDescriptor.FieldType?
        var typeName: String?
        var jsonName: String?
        var oneofIndex: Int?
        var proto3Optional = false
        for f in try WireReader.fields(bytes) {
            switch f.number {
            case 1: name = try self.string(f, "FieldDescriptorProto.name")
            case 3: number = Int(Int32(truncatingIfNeeded: try self.varint(f, "FieldDescriptorProto.number")))
            case 4:
                let raw = try self.varint(f, "FieldDescriptorProto.label")
                guard let l = FieldDescriptor.Label(rawValue: Int(clamping: raw)) else {
                    throw Invalid(reason: "field '\(name)' of \(message) has label \(raw), not one of descriptor.proto's")
                }
                label = l
            case 5:
                let raw = try self.varint(f, "FieldDescriptorProto.type")
                guard let t = FieldDescriptor.FieldType(rawValue: Int(clamping: raw)) else {
                    throw Invalid(reason: "field '\(name)' of \(message) has type \(raw), not one of descriptor.proto's")
                }
                type = t
            case 6: typeName = try self.string(f, "FieldDescriptorProto.type_name")
            case 9: oneofIndex = Int(Int32(truncatingIfNeeded: try self.varint(f, "FieldDescriptorProto.oneof_index")))
            case 10: jsonName = try self.string(f, "FieldDescriptorProto.json_name")
            case 17: proto3Optional = try self.varint(f, "FieldDescriptorProto.proto3_optional") != 0
            default: continue
            }
        }
        guard !name.isEmpty, number > 0 else { throw Invalid(reason: "a field of \(message) has no name or number") }
        guard let type else { throw Invalid(reason: "field '\(name)' of \(message) has no type (was the set written without --include_imports?)") }
        return FieldDescriptor(
            name: name, number: number, label: label, type: type, typeName: typeName, jsonName: jsonName,
            oneofIndex: oneofIndex, proto3Optional: proto3Optional
        )
    }

    /// EnumDescriptorProto: name 1, value 2 (EnumValueDescriptorProto: name 1, number 2).
    private static func enumeration(_ bytes: ArraySlice<UInt8>, scope: String) throws -> EnumDescriptor {
        var name = ""
        var values: [EnumDescriptor.Value] = []
        for f in try WireReader.fields(bytes) {
            switch f.number {
            case 1: name = try self.string(f, "EnumDescriptorProto.name")
            case 2:
                var valueName = ""
                var number: Int32 = 0
                for v in try WireReader.fields(try self.bytes(f, "EnumDescriptorProto.value")) {
                    if v.number == 1 { valueName = try self.string(v, "EnumValueDescriptorProto.name") }
                    if v.number == 2 { number = Int32(truncatingIfNeeded: try self.varint(v, "EnumValueDescriptorProto.number")) }
                }
                values.append(.init(name: valueName, number: number))
            default: continue
            }
        }
        return EnumDescriptor(fullName: scope + "." + name, values: values)
    }

    /// ServiceDescriptorProto: name 1, method 2 (MethodDescriptorProto: name 1, input_type 2, output_type 3,
    /// client_streaming 5, server_streaming 6).
    private static func service(_ bytes: ArraySlice<UInt8>, package: String) throws -> ServiceDescriptor {
        var name = ""
        var methodBytes: [ArraySlice<UInt8>] = []
        for f in try WireReader.fields(bytes) {
            if f.number == 1 { name = try self.string(f, "ServiceDescriptorProto.name") }
            if f.number == 2 { methodBytes.append(try self.bytes(f, "ServiceDescriptorProto.method")) }
        }
        let fullName = package.isEmpty ? name : package + "." + name
        var methods: [ServiceDescriptor.Method] = []
        for m in methodBytes {
            var method = ServiceDescriptor.Method(name: "", inputType: "", outputType: "", clientStreaming: false, serverStreaming: false, path: "")
            for f in try WireReader.fields(m) {
                switch f.number {
                case 1: method.name = try self.string(f, "MethodDescriptorProto.name")
                case 2: method.inputType = try self.string(f, "MethodDescriptorProto.input_type")
                case 3: method.outputType = try self.string(f, "MethodDescriptorProto.output_type")
                case 5: method.clientStreaming = try self.varint(f, "MethodDescriptorProto.client_streaming") != 0
                case 6: method.serverStreaming = try self.varint(f, "MethodDescriptorProto.server_streaming") != 0
                default: continue
                }
            }
            method.path = "/" + fullName + "/" + method.name
            methods.append(method)
        }
        return ServiceDescriptor(fullName: fullName, methods: methods)
    }

    // MARK: - Typed field access

    private static func bytes(_ field: WireField, _ what: String) throws -> ArraySlice<UInt8> {
        guard case .lengthDelimited(let b) = field.payload else {
            throw Invalid(reason: "\(what) is \(field.wireType) on the wire, expected length-delimited: not a FileDescriptorSet")
        }
        return b
    }

    private static func string(_ field: WireField, _ what: String) throws -> String {
        String(decoding: try self.bytes(field, what), as: UTF8.self)
    }

    private static func varint(_ field: WireField, _ what: String) throws -> UInt64 {
        guard case .varint(let v) = field.payload else {
            throw Invalid(reason: "\(what) is \(field.wireType) on the wire, expected varint: not a FileDescriptorSet")
        }
        return v
    }
}
