import TapCompareCore
import TapCompareGRPC

extension ConfigurationLoader {
    /// `grpc:`: the descriptor set (read here, at start, so a bad file stops start-up with the file named), the
    /// read methods, the trailers compared and the message limit. Read after `routes:`, whose gRPC call paths must be
    /// methods of the descriptor set when there is one.
    static func readGRPC(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        guard let m = r.mapping("grpc") else { return }
        if let node = m.node("descriptor_set"), let path = m.string("descriptor_set") {
            c.grpc.descriptorSetPath = path
            do {
                c.grpcDescriptors = try DescriptorSet.load(file: path)
            } catch {
                m.fail("descriptor_set", node, error.description)
            }
        }
        if let node = m.node("read_methods"), let patterns = m.strings("read_methods") {
            var valid: [String] = []
            for text in patterns {
                do throws(GRPCMethodPatternError) {
                    let pattern = try GRPCMethodPattern(parsing: text)
                    if pattern.isExact, let set = c.grpcDescriptors, set.method(path: text) == nil {
                        m.fail("read_methods", node, Self.notInDescriptorSet(text, set, c.grpc.descriptorSetPath))
                        continue
                    }
                    valid.append(text)
                } catch {
                    m.fail("read_methods", node, "\(error.description)")
                }
            }
            c.grpc.readMethods = valid
        }
        if let node = m.node("compare_trailers"), let names = m.strings("compare_trailers") {
            let invalid = names.filter { !HTTPToken.isValid($0) }
            if invalid.isEmpty {
                c.grpc.compareTrailers = names.map { $0.lowercased() }
            } else {
                m.fail("compare_trailers", node, "'\(invalid[0].prefix(80))' is not a trailer name; write names such as grpc-status, x-shard")
            }
        }
        if let node = m.node("max_message_bytes"), let v = m.bytes("max_message_bytes") {
            if v > 0 { c.grpc.maxMessageBytes = v } else { m.fail("max_message_bytes", node, "must be more than 0; write e.g. 4MiB") }
        }
        if let v = m.int("max_recorded_messages", min: 0, max: 10_000) { c.grpc.maxRecordedMessages = v }
        if let v = m.bytes("max_recorded_bytes") { c.grpc.maxRecordedBytes = v }
        m.rejectUnknownKeys()
        // A route naming a call path the descriptor set does not hold would never decode its messages as meant.
        if let set = c.grpcDescriptors {
            for (index, route) in c.routes.enumerated() {
                guard let path = Self.callPath(of: route.template), set.method(path: path) == nil else { continue }
                r.fail("routes", r.node("routes"), "route \(index + 1) '\(route.template.name)': " + Self.notInDescriptorSet(path, set, c.grpc.descriptorSetPath))
            }
        }
    }

    /// The template's path when it is a gRPC call path (`/package.Service/Method`, no parameters, for POST or any
    /// method: gRPC calls are all POST, so `GET /v1.0/status` stays an HTTP route), else `nil`.
    static func callPath(of template: RouteTemplate) -> String? {
        guard template.method == "POST" || template.method == "*" else { return nil }
        var path = ""
        for segment in template.segments {
            guard case .literal(let text) = segment else { return nil }
            path += "/" + text
        }
        return GRPCMethodPolicy.isCallPath(path) ? path : nil
    }

    static func notInDescriptorSet(_ path: String, _ set: DescriptorSet, _ file: String?) -> String {
        let known = set.methodPaths.prefix(5).joined(separator: ", ")
        return "'\(path)' is not a method of the descriptor set \(file ?? "")"
            + " (it has \(known.isEmpty ? "no methods" : known)); fix the method's path or regenerate the set with protoc --include_imports"
    }
}
