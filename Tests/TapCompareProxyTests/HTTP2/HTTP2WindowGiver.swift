import NIOConcurrencyHelpers

/// The flow control of a raw-frame HTTP/2 client that gives window back as it takes DATA, as RFC 9113 §6.9 clients
/// do: for every DATA frame read whole, a `WINDOW_UPDATE` of its length for its stream when the stream is in
/// `streams`, and one for the connection when `connection` is set (a client that granted a large connection window up
/// front gives none). Used as a ``RawTCP`` client's `answer`, on its event loop. It also notes, in the order frames
/// arrived, each stream's end and reset and any GOAWAY, which a test can wait for without parsing all it received.
final class HTTP2WindowGiver: Sendable {
    private struct State {
        var pending: [UInt8] = []
        /// Every byte read so far.
        var bytesRead = 0
        var dataRead = 0
        /// The connection's DATA bytes read before each stream's first DATA frame.
        var readBeforeFirstData: [UInt32: Int] = [:]
        /// Frames read so far, and the count at which each stream ended (END_STREAM) or was reset (RST_STREAM).
        var frames = 0
        var endedAt: [UInt32: Int] = [:]
        var resetAt: [UInt32: Int] = [:]
        var goAway = false
    }

    private let streams: Set<UInt32>
    private let connection: Bool
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - streams: the streams whose window is given back as their DATA is read.
    ///   - connection: whether the connection's window is given back too.
    init(streams: Set<UInt32>, connection: Bool) {
        self.streams = streams
        self.connection = connection
    }

    /// The connection's DATA bytes read before `streamID`'s first DATA frame, `nil` before that frame.
    func dataReadBeforeFirstData(of streamID: UInt32) -> Int? {
        self.state.withLockedValue { $0.readBeforeFirstData[streamID] }
    }

    /// The number of frames read when `streamID` ended (its END_STREAM), `nil` before.
    func endedAt(_ streamID: UInt32) -> Int? { self.state.withLockedValue { $0.endedAt[streamID] } }

    /// The number of frames read when `streamID` was reset (an RST_STREAM for it), `nil` before.
    func resetAt(_ streamID: UInt32) -> Int? { self.state.withLockedValue { $0.resetAt[streamID] } }

    /// The bytes read so far (the client's log has them a moment later).
    var bytesRead: Int { self.state.withLockedValue { $0.bytesRead } }

    /// Whether a GOAWAY arrived.
    var goAway: Bool { self.state.withLockedValue { $0.goAway } }

    /// The `WINDOW_UPDATE`s for the frames these bytes complete.
    func answer(_ bytes: [UInt8]) -> [UInt8] {
        self.state.withLockedValue { state in
            state.bytesRead += bytes.count
            state.pending += bytes
            let frames = RawHTTP2Frame.parse(state.pending)
            state.pending.removeFirst(frames.reduce(0) { $0 + 9 + $1.payload.count })
            var reply: [UInt8] = []
            for frame in frames {
                state.frames += 1
                if frame.endsStream, state.endedAt[frame.streamID] == nil { state.endedAt[frame.streamID] = state.frames }
                if frame.type == RawHTTP2Frame.rstStream, state.resetAt[frame.streamID] == nil { state.resetAt[frame.streamID] = state.frames }
                if frame.type == RawHTTP2Frame.goAway { state.goAway = true }
            }
            for frame in frames where frame.type == RawHTTP2Frame.data {
                if state.readBeforeFirstData[frame.streamID] == nil { state.readBeforeFirstData[frame.streamID] = state.dataRead }
                state.dataRead += frame.payload.count
                guard !frame.payload.isEmpty else { continue }
                // The whole payload counts (RFC 9113 §6.1); the proxy sends no padding.
                let increment = UInt32(frame.payload.count)
                if self.connection { reply += RawHTTP2Frame.windowUpdate(streamID: 0, increment: increment) }
                if self.streams.contains(frame.streamID) {
                    reply += RawHTTP2Frame.windowUpdate(streamID: frame.streamID, increment: increment)
                }
            }
            return reply
        }
    }
}
