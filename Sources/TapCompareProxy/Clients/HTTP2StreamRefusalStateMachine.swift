import NIOHPACK

/// Decides, for one stream of an HTTP/2 client, whether its request head is within `listener.max_headers` and
/// `listener.max_header_bytes`, and how a refused stream ends: 431 on that stream alone (the connection and its
/// other streams go on), the rest of the request dropped, then RST_STREAM NO_ERROR if the client is still sending
/// once the answer is written (RFC 9113 §8.1: a server may answer before the request is complete and then tell the
/// client to stop sending without an error).
///
/// Pure: it is told what arrived and what was written, and returns what to do, so every transition is unit-tested
/// without a socket. ``HTTP2StreamRefusalHandler`` does the I/O.
struct HTTP2StreamRefusalStateMachine {
    /// The HTTP/1.1 listener's limits, measured the HTTP/2 way.
    struct Limits: Sendable, Hashable {
        /// `listener.max_header_bytes`, compared with the field section's size as RFC 9113 §6.5.2 defines it (each
        /// field's name and value octets plus 32), the measure SETTINGS_MAX_HEADER_LIST_SIZE uses.
        var maxHeaderListSize: Int
        /// `listener.max_headers`: the most header fields, pseudo-header fields (`:method`, `:path`…) not counted,
        /// as an HTTP/1.1 request line is not counted either.
        var maxHeaderFields: Int
    }

    /// What arrived on the stream, reduced to what the decision needs.
    enum Frame: Equatable {
        /// A HEADERS frame: the request head first, trailers later.
        case headers(fields: Int, listSize: Int, endStream: Bool)
        /// A DATA frame.
        case data(endStream: Bool)
        /// Anything else for the stream (RST_STREAM, WINDOW_UPDATE, PRIORITY): never refused, never ending the request.
        case other
    }

    enum Action: Equatable {
        /// Pass the frame on to the request's handlers.
        case forward
        /// The request was refused: the frame is dropped.
        case drop
        /// Refuse the request: answer the refusal's status on this stream and count it.
        case refuse(ClientRefusal)
    }

    enum RefusalWrittenAction: Equatable {
        /// The client had ended its request: the stream is closed both ways.
        case none
        /// The client is still sending: RST_STREAM NO_ERROR stops it.
        case resetStream
    }

    private enum State: Equatable {
        case awaitingHead
        case forwarding
        /// The refusal is being written; whether the client has ended its side yet.
        case refusing(requestEnded: Bool)
        /// The refusal was written (and the stream reset if it had to be).
        case refused
    }

    let limits: Limits
    private var state = State.awaitingHead

    init(limits: Limits) {
        self.limits = limits
    }

    /// The size and field count of a header block, measured as ``Limits`` says.
    static func measure(_ headers: HPACKHeaders) -> (fields: Int, listSize: Int) {
        var fields = 0
        var listSize = 0
        for header in headers {
            listSize += header.name.utf8.count + header.value.utf8.count + 32
            if !header.name.hasPrefix(":") { fields += 1 }
        }
        return (fields, listSize)
    }

    mutating func received(_ frame: Frame) -> Action {
        switch (self.state, frame) {
        case (.awaitingHead, .headers(let fields, let listSize, let endStream)):
            guard fields <= self.limits.maxHeaderFields, listSize <= self.limits.maxHeaderListSize else {
                self.state = .refusing(requestEnded: endStream)
                return .refuse(.headersTooLarge)
            }
            self.state = .forwarding
            return .forward
        case (.awaitingHead, _), (.forwarding, _):
            // Before the head only frames NIOHTTP2 lets through unchanged (it refuses DATA on an idle stream itself).
            return .forward
        case (.refusing, .headers(_, _, let endStream)), (.refusing, .data(let endStream)):
            if endStream { self.state = .refusing(requestEnded: true) }
            return .drop
        case (.refusing, .other), (.refused, _):
            return .drop
        }
    }

    /// The refusal's last frame was written.
    mutating func refusalWritten() -> RefusalWrittenAction {
        guard case .refusing(let requestEnded) = self.state else { return .none }
        self.state = .refused
        return requestEnded ? .none : .resetStream
    }
}
