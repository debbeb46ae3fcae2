import TapCompareGRPC

extension Comparator.Configuration {
    /// How gRPC responses are compared (`grpc.*`; defaults in ``GRPCConfiguration/Defaults``).
    public struct GRPC: Sendable, Hashable {
        /// The loaded `grpc.descriptor_set`, or `nil`: messages are then compared by field number.
        public var descriptors: DescriptorSet?
        /// Lower-cased trailers compared, `grpc-status` and `grpc-message` first. Default: those two.
        public var compareTrailers: [String]
        /// The largest message decoded (compressed or not); larger makes the call not comparable. Default 4 MiB.
        public var maxMessageBytes: Int
        /// Messages per side kept in the record of a mismatching or failed call (``GRPCAnswerRecord/messages``).
        /// Default 16 (``GRPCConfiguration/Defaults/maxRecordedMessages``).
        public var maxRecordedMessages: Int
        /// Bytes of decoded JSON per side kept likewise. Default 64 KiB (``GRPCConfiguration/Defaults/maxRecordedBytes``).
        public var maxRecordedBytes: Int

        public init(descriptors: DescriptorSet? = nil, configuration: GRPCConfiguration = .init()) {
            self.descriptors = descriptors
            self.compareTrailers = configuration.effectiveTrailers
            self.maxMessageBytes = configuration.maxMessageBytes
            self.maxRecordedMessages = configuration.maxRecordedMessages
            self.maxRecordedBytes = configuration.maxRecordedBytes
        }
    }
}
