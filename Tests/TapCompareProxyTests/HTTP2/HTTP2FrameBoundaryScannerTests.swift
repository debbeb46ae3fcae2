import Testing
@testable import TapCompareProxy

/// The frame scanner behind HTTP/2's send timeout (``HTTP2FrameBoundaryScanner``) finds the same frames however the
/// bytes are split into writes.
@Suite("HTTP/2 frame boundary scanner") struct HTTP2FrameBoundaryScannerTests {
    struct Frame: Equatable, CustomStringConvertible {
        var streamID: UInt32
        var end: UInt64
        var description: String { "(\(self.streamID), \(self.end))" }
    }

    /// A SETTINGS frame, HEADERS and a 300-byte DATA on stream 1 (a length over 255), a zero-length DATA ending stream
    /// 3, a HEADERS on stream 5 with the reserved bit set (not part of the id), and a PING: each frame's stream and
    /// where it ends.
    static let sample: (bytes: [UInt8], frames: [Frame]) = {
        var bytes: [UInt8] = []
        var frames: [Frame] = []
        func frame(type: UInt8, flags: UInt8 = 0, streamID: UInt32, wireStreamID: UInt32? = nil, length: Int) {
            let id = wireStreamID ?? streamID
            bytes += [UInt8(length >> 16), UInt8((length >> 8) & 0xff), UInt8(length & 0xff), type, flags]
            bytes += [UInt8(id >> 24), UInt8((id >> 16) & 0xff), UInt8((id >> 8) & 0xff), UInt8(id & 0xff)]
            bytes += (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
            frames.append(Frame(streamID: streamID, end: UInt64(bytes.count)))
        }
        frame(type: 0x4, streamID: 0, length: 12)
        frame(type: 0x1, flags: 0x4, streamID: 1, length: 5)
        frame(type: 0x0, streamID: 1, length: 300)
        frame(type: 0x0, flags: 0x1, streamID: 3, length: 0)
        frame(type: 0x1, flags: 0x5, streamID: 5, wireStreamID: 0x8000_0005, length: 17)
        frame(type: 0x6, streamID: 0, length: 8)
        return (bytes, frames)
    }()

    static func scan(_ chunks: [ArraySlice<UInt8>]) -> (frames: [Frame], offset: UInt64) {
        var scanner = HTTP2FrameBoundaryScanner()
        var frames: [Frame] = []
        for chunk in chunks {
            Array(chunk).withUnsafeBytes { bytes in
                scanner.scan(bytes) { frames.append(Frame(streamID: $0, end: $1)) }
            }
        }
        return (frames, scanner.offset)
    }

    @Test("every split of the bytes into two writes, and into three around every header byte, finds the same frames and ends")
    func everySplit() {
        let (bytes, expected) = Self.sample
        #expect(Self.scan([bytes[...]]).frames == expected)
        for cut in 0...bytes.count {
            let found = Self.scan([bytes[..<cut], bytes[cut...]])
            #expect(found.frames == expected, "split at \(cut)")
            #expect(found.offset == UInt64(bytes.count))
        }
        // Three writes: the first cut anywhere in the first frames' headers, the second anywhere after it.
        for first in 0...40 {
            for second in first...bytes.count {
                let found = Self.scan([bytes[..<first], bytes[first..<second], bytes[second...]])
                #expect(found.frames == expected, "split at \(first) and \(second)")
            }
        }
    }

    @Test("writes of every fixed size from 1 byte to 40 find the same frames and ends")
    func fixedChunks() {
        let (bytes, expected) = Self.sample
        for size in 1...40 {
            let chunks = stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
            #expect(Self.scan(chunks).frames == expected, "writes of \(size) bytes")
        }
    }

    @Test("a payload skipped unread stays in step; bytes skipped past a payload lose the frames for good")
    func skip() {
        let (bytes, expected) = Self.sample
        // Stream 1's DATA header ends at 44 (SETTINGS 21 bytes, HEADERS 14, its own 9); its 300 payload bytes are skipped.
        var scanner = HTTP2FrameBoundaryScanner()
        var frames: [Frame] = []
        bytes[..<44].withUnsafeBytes { scanner.scan($0) { frames.append(Frame(streamID: $0, end: $1)) } }
        scanner.skip(300)
        bytes[344...].withUnsafeBytes { scanner.scan($0) { frames.append(Frame(streamID: $0, end: $1)) } }
        #expect(frames == expected)
        #expect(!scanner.isLost)
        scanner.skip(1)
        #expect(scanner.isLost)
    }
}
