/// Finds the frames in the bytes an HTTP/2 connection writes, however they are split into writes: a pure value type,
/// fed every outbound byte in order (``HTTP2OutboundFramePositions`` does), that reports each frame's stream and where
/// the frame ends.
///
/// RFC 9113 §4.1: every frame starts with a 9-byte header, a 24-bit payload length, a type, flags and a 31-bit stream
/// id; the payload follows. The scanner keeps only the header bytes it needs and skips payloads by count, so a DATA
/// payload (NIOHTTP2 writes it as its own write, often megabytes) costs a subtraction, and a header split over two
/// writes is put together. It must see every byte from the connection's first (the server's SETTINGS): one byte missed
/// and every later "header" is payload.
struct HTTP2FrameBoundaryScanner {
    /// Bytes scanned so far: the offset of the next byte.
    private(set) var offset: UInt64 = 0
    /// Bytes left of the current frame's payload; 0 while in a header.
    private var payloadLeft = 0
    /// Bytes of the current header seen (0..<9), and the fields read from them so far.
    private var headerFilled = 0
    private var length = 0
    private var streamID: UInt32 = 0
    /// Set when bytes that cannot be read (``skip(_:onFrame:)`` past a payload) were written: frames are no longer
    /// found.
    private(set) var isLost = false

    /// Scans the next `bytes` written, calling `onFrame` with each frame whose header they complete: its stream id
    /// (0 for the connection's frames) and the offset just past its payload.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, onFrame: (_ streamID: UInt32, _ end: UInt64) -> Void) {
        let count = bytes.count
        guard !self.isLost else {
            self.offset += UInt64(count)
            return
        }
        var index = 0
        while index < count {
            if self.payloadLeft > 0 {
                let skipped = min(self.payloadLeft, count - index)
                self.payloadLeft -= skipped
                index += skipped
                continue
            }
            let byte = bytes[index]
            index += 1
            switch self.headerFilled {
            case 0...2: self.length = self.length << 8 | Int(byte)
            case 5...8: self.streamID = self.streamID << 8 | UInt32(byte)
            default: break  // type and flags
            }
            self.headerFilled += 1
            if self.headerFilled == 9 {
                onFrame(self.streamID & 0x7fff_ffff, self.offset + UInt64(index) + UInt64(self.length))
                self.payloadLeft = self.length
                self.headerFilled = 0
                self.length = 0
                self.streamID = 0
            }
        }
        self.offset += UInt64(count)
    }

    /// Passes over `count` bytes that cannot be read (a `FileRegion`, which NIOHTTP2 writes only as a DATA payload).
    /// Bytes beyond the current payload would hide the next header: the scanner is then lost for good.
    mutating func skip(_ count: Int) {
        if count > self.payloadLeft { self.isLost = true }
        self.payloadLeft -= min(count, self.payloadLeft)
        self.offset += UInt64(count)
    }
}
