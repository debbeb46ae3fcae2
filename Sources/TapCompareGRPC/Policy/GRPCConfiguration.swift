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
        /// `grpc.max_recorded_messages`: 16 messages per side kept in the ledger for a call it keeps samples of.
        public static let maxRecordedMessages = 16
        /// `grpc.max_recorded_bytes`: 64 KiB of decoded JSON per side kept in the ledger, as `ledger.max_sample_bytes`.
        public static let maxRecordedBytes = 64 << 10
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
    /// `grpc.max_recorded_messages`: how many of a side's messages the ledger keeps (decoded, as JSON); the rest are
    /// counted as omitted. Default ``Defaults/maxRecordedMessages``.
    public var maxRecordedMessages: Int
    /// `grpc.max_recorded_bytes`: how many bytes of decoded JSON per side the ledger keeps; a message that does not
    /// fit, and every one after it, is counted as omitted. Default ``Defaults/maxRecordedBytes``.
    public var maxRecordedBytes: Int

    public init(
        descriptorSetPath: String? = nil,
        readMethods: [String] = Defaults.readMethods,
        compareTrailers: [String] = Defaults.compareTrailers,
        maxMessageBytes: Int = Defaults.maxMessageBytes,
        maxRecordedMessages: Int = Defaults.maxRecordedMessages,
        maxRecordedBytes: Int = Defaults.maxRecordedBytes
    ) {
        self.descriptorSetPath = descriptorSetPath
        self.readMethods = readMethods
        self.compareTrailers = compareTrailers
        self.maxMessageBytes = maxMessageBytes
        self.maxRecordedMessages = maxRecordedMessages
        self.maxRecordedBytes = maxRecordedBytes
    }

    /// ``compareTrailers`` lower-cased with `grpc-status` and `grpc-message` first, each once.
    public var effectiveTrailers: [String] {
        var names = ["grpc-status", "grpc-message"]
        for name in self.compareTrailers.map({ $0.lowercased() }) where !names.contains(name) { names.append(name) }
        return names
    }
}
