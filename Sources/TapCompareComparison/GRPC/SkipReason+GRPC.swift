import TapCompareCore

extension SkipReason {
    /// A gRPC response whose messages cannot be read: broken framing, a message that is not protobuf, a message
    /// beyond `grpc.max_message_bytes`, or a compression that is not decoded. The reason names the side, the
    /// message and what is wrong.
    public static let grpcNotComparable = SkipReason("grpc_not_comparable")
}
