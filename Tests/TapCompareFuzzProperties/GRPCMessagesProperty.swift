import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareJSON
import TapCompareRules

/// The gRPC codec's property: any bytes, split at the first `0x1E 0x1E` into a legacy and a candidate gRPC body, are
/// framed, decoded (with a descriptor holding every field type, and without one) and compared without a trap; every
/// decoded message serializes to JSON that parses back equal; and when both sides decode, the discrepancies, read
/// as a JSON Patch and applied to legacy's `{"messages": [...]}`, give the candidate's.
enum GRPCMessagesProperty {
    static let method = "/fuzz.Svc/Call"

    /// `.fuzz.All`: field N (1…18) of descriptor.proto type N (10, a group, is a nested `.fuzz.All` instead), then
    /// repeated, map, enum and well-known fields, so random bytes reach every decoding path.
    static let descriptors: DescriptorSet = {
        var fields: [FieldDescriptor] = []
        for n in 1...18 {
            let type = n == 10 ? .message : FieldDescriptor.FieldType(rawValue: n)!
            let typeName = type == .message ? ".fuzz.All" : type == .enumeration ? ".fuzz.Kind" : nil
            fields.append(FieldDescriptor(name: "f\(n)", number: n, type: type, typeName: typeName))
        }
        fields += [
            FieldDescriptor(name: "ints", number: 19, label: .repeated, type: .int32),
            FieldDescriptor(name: "children", number: 20, label: .repeated, type: .message, typeName: ".fuzz.All"),
            FieldDescriptor(name: "labels", number: 21, label: .repeated, type: .message, typeName: ".fuzz.All.LabelsEntry"),
            FieldDescriptor(name: "at", number: 22, type: .message, typeName: ".google.protobuf.Timestamp"),
            FieldDescriptor(name: "took", number: 23, type: .message, typeName: ".google.protobuf.Duration"),
            FieldDescriptor(name: "count", number: 24, type: .message, typeName: ".google.protobuf.Int64Value"),
            FieldDescriptor(name: "kinds", number: 25, label: .repeated, type: .enumeration, typeName: ".fuzz.Kind"),
        ]
        let seconds = [FieldDescriptor(name: "seconds", number: 1, type: .int64), FieldDescriptor(name: "nanos", number: 2, type: .int32)]
        var set = DescriptorSet()
        set.add(
            file: "fuzz.proto",
            messages: [
                MessageDescriptor(fullName: ".fuzz.All", fields: fields),
                MessageDescriptor(
                    fullName: ".fuzz.All.LabelsEntry",
                    fields: [FieldDescriptor(name: "key", number: 1, type: .string), FieldDescriptor(name: "value", number: 2, type: .int64)],
                    isMapEntry: true
                ),
                MessageDescriptor(fullName: ".google.protobuf.Timestamp", fields: seconds),
                MessageDescriptor(fullName: ".google.protobuf.Duration", fields: seconds),
                MessageDescriptor(fullName: ".google.protobuf.Int64Value", fields: [FieldDescriptor(name: "value", number: 1, type: .int64)]),
            ],
            enums: [EnumDescriptor(fullName: ".fuzz.Kind", values: [.init(name: "ZERO", number: 0), .init(name: "ONE", number: 1)])],
            services: [
                ServiceDescriptor(fullName: "fuzz.Svc", methods: [
                    .init(name: "Call", inputType: ".fuzz.All", outputType: ".fuzz.All", clientStreaming: false, serverStreaming: true, path: method),
                ]),
            ]
        )
        return set
    }()

    static let comparator = Comparator(configuration: .init(grpc: .init(descriptors: descriptors)))
    static let rules = comparator.ruleSet.routeRules(route: "POST \(method)", method: "POST", path: Substring(method))
    static let headers: HTTPHeaders = ["Content-Type": "application/grpc"]

    static func check(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        // Any bytes as a descriptor set: a set or an error.
        _ = try? DescriptorSet(bytes: input)
        // Frames start with a 0x00 flag, so the sides are split at the first two record separators (0x1E 0x1E), or
        // in the middle when there are none.
        var split = input.count / 2
        var separator = 0
        if let i = zip(input.indices, input.dropFirst()).first(where: { input[$0.0] == 0x1E && $0.1 == 0x1E })?.0 {
            split = i
            separator = 2
        }
        let sides = [Array(input[..<split]), Array(input[(split + separator)...])]
        var documents: [JSONValue] = []
        for body in sides {
            guard let frames = try? GRPCFrameReader().messages(body[...]) else { continue }
            var messages: [JSONValue] = []
            for frame in frames where !frame.compressed {
                for decoder in [ProtoJSONDecoder(descriptors: descriptors), ProtoJSONDecoder()] {
                    guard let value = try? decoder.decode(frame.bytes, type: ".fuzz.All") else { continue }
                    let text = value.serialized()
                    guard let again = try? JSONParser.parse(text), again == value else {
                        throw FuzzPropertyViolation("a decoded message does not survive serialize → parse: \(text.prefix(200))")
                    }
                }
                if let value = try? ProtoJSONDecoder(descriptors: descriptors).decode(frame.bytes, type: ".fuzz.All") { messages.append(value) }
            }
            if messages.count == frames.count { documents.append(["messages": .array(messages)]) }
        }
        let legacy = ResponseSnapshot(status: .ok, version: .http2, headers: headers, body: ByteBuffer(bytes: sides[0]), trailers: [("grpc-status", "0")])
        let candidate = ResponseSnapshot(status: .ok, version: .http2, headers: headers, body: ByteBuffer(bytes: sides[1]), trailers: [("grpc-status", "0")])
        let result = comparator.compare(legacy: legacy, candidate: candidate, rules: rules, grpcMethod: Substring(method))
        guard result.skipReason == nil, documents.count == 2 else { return }
        guard let patched = try? result.discrepancies.jsonPatch.apply(to: documents[0]) else {
            throw FuzzPropertyViolation("the \(result.discrepancies.count) discrepancies do not apply to legacy's messages as a JSON Patch")
        }
        guard patched == documents[1] else { throw FuzzPropertyViolation("legacy's messages + discrepancies != candidate's") }
    }
}
