/// `grpc.*`: how gRPC calls are chosen for mirroring and compared. Every default is in ``Defaults``, the one place
/// they are written.
public struct GRPCConfiguration: Sendable, Hashable {
    public enum Defaults {
        /// `grpc.max_message_bytes`: 4 MiB, gRPC's own default receive limit.
        public static let maxMessageBytes = 4 << 20
        /// `grpc.compare_trailers`: the call's status and message.
        public static let compareTrailers = ["grpc-status", "grpc-message"]
        /// `grpc.read_methods`: none. gRPC calls are all POST, so no method is known to be safe until it is named.
        public static let readMethods: [String] = []
    }

    /// `grpc.descriptor_set`: a `FileDescriptorSet` (`protoc --include_imports --descriptor_set_out=FILE`) read at
    /// start. Default: none (messages are compared by field number).
    public var descriptorSetPath: String?
    /// `grpc.read_methods`: patterns of methods that only read and are mirrored (see ``GRPCMethodPattern``).
    /// Default ``Defaults/readMethods``.
    public var readMethods: [String]
    /// `grpc.compare_trailers`: lower-cased trailing metadata compared; `grpc-status` and `grpc-message` are
    /// compared whether listed or not. Default ``Defaults/compareTrailers``.
    public var compareTrailers: [String]
    /// `grpc.max_message_bytes`: a larger message makes the call not comparable. Default
    /// ``Defaults/maxMessageBytes``.
    public var maxMessageBytes: Int

    public init(
        descriptorSetPath: String? = nil,
        readMethods: [String] = Defaults.readMethods,
        compareTrailers: [String] = Defaults.compareTrailers,
        maxMessageBytes: Int = Defaults.maxMessageBytes
    ) {
        self.descriptorSetPath = descriptorSetPath
        self.readMethods = readMethods
        self.compareTrailers = compareTrailers
        self.maxMessageBytes = maxMessageBytes
    }

    /// ``compareTrailers`` lower-cased with `grpc-status` and `grpc-message` first, each once.
    public var effectiveTrailers: [String] {
        var names = ["grpc-status", "grpc-message"]
        for name in self.compareTrailers.map({ $0.lowercased() }) where !names.contains(name) { names.append(name) }
        return names
    }
}
