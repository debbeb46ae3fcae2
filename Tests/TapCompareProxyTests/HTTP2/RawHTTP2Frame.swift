/// One HTTP/2 frame as a raw-bytes test reads it from a server's side of a connection (RFC 9113 §4.1).
struct RawHTTP2Frame: Equatable {
    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let ping: UInt8 = 0x6
    static let goAway: UInt8 = 0x7
    static let windowUpdate: UInt8 = 0x8
    static let continuation: UInt8 = 0x9
    /// PROTOCOL_ERROR (RFC 9113 §7).
    static let protocolError: UInt32 = 0x1

    var type: UInt8
    var flags: UInt8
    var streamID: UInt32
    var payload: [UInt8]

    /// The frames in `bytes` (a server sends no preface), up to the last whole one.
    static func parse(_ bytes: [UInt8]) -> [RawHTTP2Frame] {
        var frames: [RawHTTP2Frame] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard index + 9 + length <= bytes.count else { break }
            frames.append(RawHTTP2Frame(
                type: bytes[index + 3], flags: bytes[index + 4], streamID: Self.uint32(bytes, at: index + 5) & 0x7fff_ffff,
                payload: Array(bytes[(index + 9)..<(index + 9 + length)])
            ))
            index += 9 + length
        }
        return frames
    }

    /// The frame's bytes: a 9-byte header and `payload`.
    static func encode(type: UInt8, flags: UInt8 = 0, streamID: UInt32, payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16), UInt8((n >> 8) & 0xff), UInt8(n & 0xff), type, flags]
            + [UInt8(streamID >> 24), UInt8((streamID >> 16) & 0xff), UInt8((streamID >> 8) & 0xff), UInt8(streamID & 0xff)]
            + payload
    }

    /// A WINDOW_UPDATE frame giving `streamID` (0: the connection) `increment` more bytes (RFC 9113 §6.9).
    static func windowUpdate(streamID: UInt32, increment: UInt32) -> [UInt8] {
        Self.encode(type: Self.windowUpdate, streamID: streamID, payload: Self.bytes(increment))
    }

    /// A SETTINGS frame (not an ACK) with `settings`, each an identifier and a value (RFC 9113 §6.5.1).
    static func settings(_ settings: [(UInt16, UInt32)]) -> [UInt8] {
        Self.encode(type: Self.settings, streamID: 0, payload: settings.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + Self.bytes($0.1) })
    }

    /// Whether this frame ends its stream (END_STREAM on DATA or HEADERS).
    var endsStream: Bool { (self.type == Self.data || self.type == Self.headers) && self.flags & 0x1 != 0 }

    private static func bytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    /// The error code of a GOAWAY (after the last stream id) or RST_STREAM frame.
    var errorCode: UInt32? {
        switch self.type {
        case Self.goAway where self.payload.count >= 8: Self.uint32(self.payload, at: 4)
        case Self.rstStream where self.payload.count == 4: Self.uint32(self.payload, at: 0)
        default: nil
        }
    }

    private static func uint32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }
}
