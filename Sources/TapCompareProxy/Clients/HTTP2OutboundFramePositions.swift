import NIOCore

/// Where each watched HTTP/2 stream's frames ended in the bytes written to the client's socket: the progress measure
/// of `listener.send_timeout` on HTTP/2 (``SendTimeoutTimer``). Sits directly below `NIOHTTP2Handler`, so it sees every
/// frame the connection writes, and reads the socket's position from the connection's ``OutboundByteCounter``.
///
/// The streams of a connection share its socket, so the client's TCP acknowledging bytes (``TCPAcknowledgedBytes``)
/// says that the client read *some* stream's bytes. A stream whose frames all ended at or before the acknowledged
/// position has nothing of its own left for the client to take: more acknowledged bytes are other streams'. One whose
/// frames end beyond it still has bytes on the way, which the client reads in order: the acknowledged bytes moving
/// are its progress too (its bytes wait behind the others', and the client cannot give its window back before it has
/// read them). So a stream's progress is `min(acknowledged, lastEnd)` moving.
///
/// Every write is scanned (``HTTP2FrameBoundaryScanner``, a few integer operations per frame header, payloads skipped
/// by count) to stay in step with the frames. A frame of a watched stream notes where it ends among the bytes the
/// connection wrote (plaintext); on `flush`, once the handlers below have written (`NIOSSLHandler` encrypts and writes
/// everything it holds on flush once its handshake is done), that end is placed among the socket's bytes:
/// - on a plain listener the socket's bytes are the frames': the position is exact;
/// - over TLS the frames flushed together became records, each at most ``maxTLSRecordPayload`` bytes of them plus a
///   header and tag: the stream's end lies at most one record's payload plus all of the flush's extra bytes past its
///   plaintext offset, and never past the flush's last byte. An upper bound, within about 16 KiB: lenient, never
///   strict.
/// Loop-confined: the streams' channels share this connection's event loop.
final class HTTP2OutboundFramePositions: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private struct Watch {
        /// Where the stream's frames end among the socket's bytes, as of the last flush (or when watching began).
        var lastEnd: UInt64
        /// The end of its last frame written since the last flush, among the bytes scanned, if any.
        var pendingEnd: UInt64?
    }

    /// The most plaintext one TLS record carries (RFC 8446 §5.1, RFC 5246 §6.2.1: 2^14 bytes).
    static let maxTLSRecordPayload: UInt64 = 16_384

    private let counter: OutboundByteCounter
    private var scanner = HTTP2FrameBoundaryScanner()
    /// The bytes scanned, and the socket's count, when the last flush had gone through.
    private var scannedAtFlush: UInt64 = 0
    private var writtenAtFlush: UInt64
    /// The watched streams: those whose send clock runs, at most the connection's open streams
    /// (`listener.max_concurrent_streams`); each leaves at ``unwatch(_:)`` and all when the connection closes.
    private var watched: [UInt32: Watch] = [:]
    /// The watched streams with a frame written since the last flush (a ``Watch/pendingEnd``).
    private var noted: [UInt32] = []

    /// - Parameter counter: the connection's count of bytes written toward its socket.
    init(counter: OutboundByteCounter) {
        self.counter = counter
        self.writtenAtFlush = counter.written
    }

    /// Starts keeping `streamID`'s position: its earlier frames end at or before the bytes written so far, those not
    /// yet flushed included (lenient until the client's TCP passes that point, exact from then on).
    func watch(_ streamID: UInt32) {
        var watch = Watch(lastEnd: self.counter.written)
        if self.scanner.offset > self.scannedAtFlush {
            watch.pendingEnd = self.scanner.offset
            // Once: a stream watched again (its clock restarted) may still be listed from before.
            if !self.noted.contains(streamID) { self.noted.append(streamID) }
        }
        self.watched[streamID] = watch
    }

    /// Stops keeping `streamID`'s position (its send clock stopped: the stream closed).
    func unwatch(_ streamID: UInt32) {
        self.watched[streamID] = nil
    }

    /// Where `streamID`'s frames written so far end among the socket's bytes; `nil` when it is not watched.
    func lastEnd(of streamID: UInt32) -> UInt64? {
        self.watched[streamID]?.lastEnd
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .byteBuffer(let buffer):
            buffer.withUnsafeReadableBytes { bytes in
                if self.watched.isEmpty {
                    self.scanner.scan(bytes) { _, _ in }
                } else {
                    self.scanner.scan(bytes) { streamID, end in self.note(streamID, end: end) }
                }
            }
        case .fileRegion(let region):
            self.scanner.skip(region.readableBytes)
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        let scannedStart = self.scannedAtFlush
        let writtenStart = self.writtenAtFlush
        let scannedEnd = self.scanner.offset
        let writtenEnd = self.counter.written
        self.scannedAtFlush = scannedEnd
        self.writtenAtFlush = writtenEnd
        if self.scanner.isLost {
            // Frames can no longer be told apart (a write the scanner cannot read, which NIOHTTP2 never makes): every
            // watched stream may have written, the lenient reading.
            for streamID in self.watched.keys { self.watched[streamID]?.lastEnd = writtenEnd }
            return
        }
        guard !self.noted.isEmpty else { return }
        let scanned = scannedEnd - scannedStart
        let written = writtenEnd - writtenStart
        // Plain: the socket got exactly the frames. TLS: records, whose headers and tags (and any bytes TLS wrote on its
        // own since the last flush) are the difference; fewer bytes than the frames means TLS still holds some, and
        // the streams stay noted for the next flush.
        let slack: UInt64 = written == scanned ? 0 : Self.maxTLSRecordPayload + (written > scanned ? written - scanned : 0)
        var stillNoted = 0
        for streamID in self.noted {
            guard var watch = self.watched[streamID], let end = watch.pendingEnd else { continue }
            watch.lastEnd = min(writtenEnd, writtenStart + (end - min(end, scannedStart)) + slack)
            if end > scannedEnd || written < scanned {
                // Its frame's payload is still to come, or TLS holds some of it: placed again at the next flush.
                self.noted[stillNoted] = streamID
                stillNoted += 1
            } else {
                watch.pendingEnd = nil
            }
            self.watched[streamID] = watch
        }
        self.noted.removeLast(self.noted.count - stillNoted)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.watched.removeAll()
        self.noted.removeAll()
    }

    private func note(_ streamID: UInt32, end: UInt64) {
        guard streamID != 0, let watch = self.watched[streamID] else { return }
        if watch.pendingEnd == nil, !self.noted.contains(streamID) { self.noted.append(streamID) }
        self.watched[streamID]?.pendingEnd = end
    }
}
