/// A body that is not a sequence of gRPC length-prefixed messages, or one message beyond the size limit.
public struct GRPCFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case truncatedPrefix(available: Int)
        case truncatedMessage(declared: Int, available: Int)
        case invalidFlag(UInt8)
        case tooLarge(declared: Int, limit: Int)
    }

    let code: Code
    /// The index of the message (0-based) where framing broke.
    public let messageIndex: Int
    /// The byte offset of that message's prefix in the body.
    public let offset: Int

    public var description: String {
        let at = "message \(self.messageIndex) at byte \(self.offset)"
        switch self.code {
        case .truncatedPrefix(let available):
            return "\(at): truncated frame (\(available) of the 5 prefix bytes)"
        case .truncatedMessage(let declared, let available):
            return "\(at): truncated frame (declares \(declared) bytes, \(available) present)"
        case .invalidFlag(let flag):
            return "\(at): compressed flag is \(flag), must be 0 or 1"
        case .tooLarge(let declared, let limit):
            return "\(at): \(declared) bytes exceed grpc.max_message_bytes (\(limit))"
        }
    }
}
