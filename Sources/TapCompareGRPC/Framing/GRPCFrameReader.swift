/// Splits a gRPC body (the DATA of one call, in one direction) into its length-prefixed messages.
///
/// Pure and bounded: each message's declared length is checked against ``maxMessageBytes`` *before* anything is
/// kept, so a hostile prefix cannot make the comparison allocate, and the messages are slices of the body (no copy).
public struct GRPCFrameReader: Sendable {
    /// The largest message accepted. Default ``GRPCConfiguration/Defaults/maxMessageBytes`` (4 MiB, gRPC's own
    /// default receive limit).
    public var maxMessageBytes: Int

    public init(maxMessageBytes: Int = GRPCConfiguration.Defaults.maxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Every message of `body`, in order. An empty body has none (a trailers-only response).
    /// - Throws: ``GRPCFramingError`` for a truncated prefix or message, a flag other than 0 or 1, or a message
    ///   larger than ``maxMessageBytes``.
    public func messages(_ body: ArraySlice<UInt8>) throws(GRPCFramingError) -> [GRPCMessageFrame] {
        var frames: [GRPCMessageFrame] = []
        var index = body.startIndex
        while index < body.endIndex {
            let offset = index - body.startIndex
            let available = body.endIndex - index
            guard available >= 5 else {
                throw GRPCFramingError(code: .truncatedPrefix(available: available), messageIndex: frames.count, offset: offset)
            }
            let flag = body[index]
            guard flag <= 1 else { throw GRPCFramingError(code: .invalidFlag(flag), messageIndex: frames.count, offset: offset) }
            var length = 0
            for i in 1...4 { length = length << 8 | Int(body[index + i]) }
            guard length <= self.maxMessageBytes else {
                throw GRPCFramingError(code: .tooLarge(declared: length, limit: self.maxMessageBytes), messageIndex: frames.count, offset: offset)
            }
            guard length <= available - 5 else {
                throw GRPCFramingError(code: .truncatedMessage(declared: length, available: available - 5), messageIndex: frames.count, offset: offset)
            }
            frames.append(GRPCMessageFrame(compressed: flag == 1, bytes: body[(index + 5)..<(index + 5 + length)]))
            index += 5 + length
        }
        return frames
    }
}
