import NIOCore
import NIOHTTP1

/// Request parts a client pipelined while the response to its previous request was still in progress, kept in
/// arrival order until that response ends.
///
/// The proxy owns HTTP/1.1 pipelining instead of NIO's `HTTPServerPipelineHandler`, which stops passing `read()`
/// on for as long as any response is pending: that unregistered and re-registered the socket's read interest on
/// every request of a keep-alive connection (two `epoll_ctl` calls per request). Here reads keep flowing while the
/// buffer is small and are held only past the watermark (``isOverWatermark``).
///
/// Bounded: parts are appended as the decoder produces them, so one socket read's worth of parts may land on top
/// of the watermark before reads stop — at most the watermark plus one read (NIO reads at most 64 KiB at once).
struct PipelinedRequestBuffer {
    /// Pipelined request heads buffered before reads are held: one request ahead of the one in progress keeps a
    /// pipelining client busy without letting it queue work.
    static let maxHeads = 1
    /// Request body bytes buffered before reads are held (64 KiB, NIO's largest single read).
    static let maxBodyBytes = 64 * 1024

    private var parts = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    /// Heads now in the buffer.
    private(set) var heads = 0
    /// Body bytes now in the buffer.
    private(set) var bodyBytes = 0
    /// Requests whose end is in the buffer: received whole.
    private(set) var completeRequests = 0

    var isEmpty: Bool { self.parts.isEmpty }

    /// Whether a whole request waits here (its end arrived), to be answered after the current one.
    var hasCompleteRequest: Bool { self.completeRequests > 0 }

    /// Past the watermark the client's reads are held until the buffer drains.
    var isOverWatermark: Bool { self.heads > Self.maxHeads || self.bodyBytes > Self.maxBodyBytes }

    mutating func append(_ part: HTTPServerRequestPart) {
        switch part {
        case .head: self.heads += 1
        case .body(let buffer): self.bodyBytes += buffer.readableBytes
        case .end: self.completeRequests += 1
        }
        self.parts.append(part)
    }

    mutating func popFirst() -> HTTPServerRequestPart? {
        guard let part = self.parts.popFirst() else { return nil }
        switch part {
        case .head: self.heads -= 1
        case .body(let buffer): self.bodyBytes -= buffer.readableBytes
        case .end: self.completeRequests -= 1
        }
        return part
    }

    /// Drops the parts of a request whose end will never come (the client shut its sending side before it): they are
    /// the last ones; the whole requests before them stay.
    mutating func removeIncompleteRequest() {
        while let last = self.parts.last {
            switch last {
            case .end: return
            case .head: self.heads -= 1
            case .body(let buffer): self.bodyBytes -= buffer.readableBytes
            }
            self.parts.removeLast()
        }
    }

    /// Drops everything: the connection closes after the current response, so these requests are never answered
    /// (the client learns it from `Connection: close` and retries them, RFC 9112 §9.3.2).
    mutating func removeAll() {
        self.parts.removeAll()
        self.heads = 0
        self.bodyBytes = 0
        self.completeRequests = 0
    }
}
