import NIOCore
import NIOHTTP1

/// The HTTP/1.1 codec of an upstream connection, in one handler: request parts out as bytes
/// (``HTTP1RequestSerializer``), response bytes in as parts (``HTTP1ResponseParser``).
///
/// It replaces NIO's `HTTPRequestEncoder` and `ByteToMessageHandler<HTTPResponseDecoder>` pair, which cost two
/// handler hops each way and a decoder that inspects every outbound part to learn the request's method. Here the
/// method is handed over as the head is written. It behaves as that pair did where the proxy relies on it:
/// - a response split across reads is assembled, and a body part is a slice of what was read (no copy);
/// - an error fires `errorCaught` once and everything read after it is dropped;
/// - the end of input ends a body delimited by the close, or fires `HTTPParserError.invalidEOFState` when a
///   response was cut short, before `channelInactive` goes on;
/// - removed after a `101` (the upgrade's tunnel takes the connection), it passes the bytes it read past the
///   response on as one `ByteBuffer`, after the part it was delivering, never in the middle of one.
final class UpstreamHTTP1Codec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    private var parser: HTTP1ResponseParser
    /// Bytes read but not yet part of a whole part: a head, a chunk-size line or a trailer section split across
    /// reads (bounded by the parser's limits), or what followed a `101`.
    private var unread: ByteBuffer?
    private var requestIsChunked = false
    private var failed = false
    /// Inside a `fireChannelRead` of a part: a handler after this one may remove it or close the channel; both wait
    /// until the part is delivered.
    private var delivering = false
    private var pendingRemoval: ChannelHandlerContext.RemovalToken?
    private var inputEndedWhileDelivering = false

    init(maxHeadBytes: Int = HTTP1ResponseParser.defaultMaxHeadBytes) {
        self.parser = HTTP1ResponseParser(maxHeadBytes: maxHeadBytes)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        var buffer = self.unwrapInboundIn(data)
        if var unread = self.unread {
            self.unread = nil
            unread.writeBuffer(&buffer)
            buffer = unread
        }
        self.deliverParts(context: context, from: &buffer)
        if buffer.readableBytes > 0 { self.unread = buffer }
        self.afterDelivery(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.delivering {
            self.inputEndedWhileDelivering = true
            return
        }
        self.inputEnded(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            self.inputEnded(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Hands every whole part in `buffer` on, until there is none, or a handler removes this one or closes the channel.
    private func deliverParts(context: ChannelHandlerContext, from buffer: inout ByteBuffer) {
        self.delivering = true
        defer { self.delivering = false }
        while !self.failed && self.pendingRemoval == nil && !self.inputEndedWhileDelivering {
            let part: HTTPClientResponsePart?
            do {
                part = try self.parser.next(&buffer)
            } catch {
                self.fail(context: context, error, dropping: &buffer)
                return
            }
            guard let part else { return }
            context.fireChannelRead(self.wrapInboundOut(part))
        }
    }

    /// What a handler after this one asked for while a part was being delivered.
    private func afterDelivery(context: ChannelHandlerContext) {
        if self.inputEndedWhileDelivering {
            self.inputEndedWhileDelivering = false
            self.inputEnded(context: context)
            context.fireChannelInactive()
        }
        if let token = self.pendingRemoval {
            self.pendingRemoval = nil
            self.leave(context: context, removalToken: token)
        }
    }

    private func inputEnded(context: ChannelHandlerContext) {
        guard !self.failed else { return }
        do {
            if let part = try self.parser.inputEnded(unread: self.unread?.readableBytes ?? 0) {
                context.fireChannelRead(self.wrapInboundOut(part))
            }
        } catch {
            self.failed = true
            self.unread = nil
            context.fireErrorCaught(error)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error, dropping buffer: inout ByteBuffer) {
        self.failed = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        self.unread = nil
        context.fireErrorCaught(error)
    }

    // MARK: Removal

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if self.delivering {
            self.pendingRemoval = removalToken
        } else {
            self.leave(context: context, removalToken: removalToken)
        }
    }

    private func leave(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if let unread = self.unread, unread.readableBytes > 0 {
            self.unread = nil
            context.fireChannelRead(NIOAny(unread))
        }
        context.leavePipeline(removalToken: removalToken)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var head):
            self.requestIsChunked = HTTP1RequestSerializer.frame(&head)
            self.parser.requestSent(head.method)
            var buffer = context.channel.allocator.buffer(capacity: 256)
            HTTP1RequestSerializer.write(head, into: &buffer)
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let body):
            guard self.requestIsChunked, body.readableBytes > 0 else {
                // Not chunked, or an empty part: written as it is (an empty one still completes its promise in order).
                context.write(self.wrapOutboundOut(body), promise: promise)
                return
            }
            var line = context.channel.allocator.buffer(capacity: 16)
            HTTP1RequestSerializer.writeChunkHeader(length: body.readableBytes, into: &line)
            context.write(self.wrapOutboundOut(.byteBuffer(line)), promise: nil)
            context.write(self.wrapOutboundOut(body), promise: nil)
            // Writes complete in order: the last one's promise stands for the three.
            context.write(self.wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(staticString: "\r\n"))), promise: promise)
        case .end(let trailers):
            if self.requestIsChunked {
                var buffer = context.channel.allocator.buffer(capacity: trailers == nil ? 5 : 256)
                HTTP1RequestSerializer.writeLastChunk(trailers: trailers, into: &buffer)
                context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            } else if let promise {
                // Nothing to write, but the promise completes after the writes before it.
                context.write(self.wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: promise)
            }
        }
    }
}
