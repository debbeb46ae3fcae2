import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// First in each HTTP/2 client stream's pipeline: refuses a request head over `listener.max_headers` or
/// `listener.max_header_bytes` with 431 on that stream alone, counted as `headers_too_large` like HTTP/1.1's, and
/// resets the stream with NO_ERROR if the client is still sending (``HTTP2StreamRefusalStateMachine`` decides).
/// A refused request never reaches ``ProxyHandler``, so nothing is forwarded to legacy or the candidate.
///
/// NIOHTTP2 decodes the whole header block first, as RFC 9113 §10.5.1 requires for the connection's HPACK state to
/// stay consistent; ``ProxyServer/addClientHTTP2Handlers(to:loop:)`` lets it decode blocks up to
/// ``decodingCeiling(forLimit:)`` so an over-limit one reaches this handler instead of ending the connection.
final class HTTP2StreamRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var machine: HTTP2StreamRefusalStateMachine
    private let metrics: ProxyMetrics

    init(limits: HTTP2StreamRefusalStateMachine.Limits, metrics: ProxyMetrics) {
        self.machine = HTTP2StreamRefusalStateMachine(limits: limits)
        self.metrics = metrics
    }

    /// The header list size NIOHTTP2 decodes (and announces as SETTINGS_MAX_HEADER_LIST_SIZE, the only way to set
    /// it): twice `listener.max_header_bytes`, at least NIOHTTP2's 16 KiB default. A block up to it is decoded and
    /// refused here with 431 on its stream; a larger one ends the connection with GOAWAY (counted as
    /// `headers_too_large` by ``HTTP2ClientConnectionHandler``), so the memory one header block takes stays bounded.
    static func decodingCeiling(forLimit limit: Int) -> Int {
        // A SETTINGS value is 32 bits.
        let doubled = limit > Int(UInt32.max) / 2 ? Int(UInt32.max) : limit * 2
        return max(doubled, HPACKDecoder.defaultMaxHeaderListSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = self.unwrapInboundIn(data)
        let frame: HTTP2StreamRefusalStateMachine.Frame
        switch payload {
        case .headers(let headers):
            let size = HTTP2StreamRefusalStateMachine.measure(headers.headers)
            frame = .headers(fields: size.fields, listSize: size.listSize, endStream: headers.endStream)
        case .data(let data):
            frame = .data(endStream: data.endStream)
        default:
            frame = .other
        }
        switch self.machine.received(frame) {
        case .forward:
            context.fireChannelRead(data)
        case .drop:
            break
        case .refuse(let refusal):
            self.metrics.refused(refusal)
            self.answer(refusal, context: context)
        }
    }

    /// Writes the refusal (the HTTP/1.1 one, as HTTP/2 frames), then resets the stream if the machine says so.
    private func answer(_ refusal: ClientRefusal, context: ChannelHandlerContext) {
        guard let status = refusal.status else { return }
        let response = LocalResponse.refusal(status: status, explanation: refusal.explanation, allocator: context.channel.allocator)
        // Normalized: names lowercased and `Connection` (meaningless, and malformed, in HTTP/2) dropped.
        var headers = HPACKHeaders([(":status", String(status.code))])
        headers.add(contentsOf: HPACKHeaders(httpHeaders: response.head.headers, normalizeHTTPHeaders: true))
        context.write(self.wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(response.body), endStream: true))), promise: written)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            guard case .resetStream = self.machine.refusalWritten() else { return }
            context.writeAndFlush(self.wrapOutboundOut(.rstStream(.noError)), promise: nil)
        }
    }
}
