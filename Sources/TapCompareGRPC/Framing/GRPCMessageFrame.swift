/// One gRPC length-prefixed message (gRPC over HTTP/2, "Length-Prefixed-Message"): a compressed flag, a 4-byte
/// big-endian length and that many bytes.
public struct GRPCMessageFrame: Sendable, Hashable {
    /// The Compressed-Flag: the bytes are compressed with the response's `grpc-encoding`.
    public var compressed: Bool
    /// The message bytes as sent (still compressed when ``compressed``).
    public var bytes: ArraySlice<UInt8>

    public init(compressed: Bool, bytes: ArraySlice<UInt8>) {
        self.compressed = compressed
        self.bytes = bytes
    }
}
