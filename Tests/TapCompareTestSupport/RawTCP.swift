import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import NIOSSL

/// A bare TCP connection for tests that need to send part of a request, send it slowly, or go away mid-exchange,
/// and see every byte the server answers and when it closes.
public struct RawTCP: Sendable {
    let channel: any Channel
    private let log: ReceiveLog

    /// - Parameters:
    ///   - firstBytes: written by the channel itself the moment it connects, so a server's idle timeout cannot fire
    ///     between the connection and the request however late the awaiting task resumes.
    ///   - receiveBufferSize: `SO_RCVBUF`, set before connecting so the window the client advertises stays small: a
    ///     client that stops reading is full after about twice this many bytes (Linux doubles it) instead of megabytes.
    ///   - autoRead: `false` reads nothing until ``read()`` or ``startReading()``: a client that never reads (bytes the
    ///     server sends stay in the kernel), or reads at its own pace. A reset is still seen (``isClosed``).
    ///   - bytesPerRead: each read takes at most this many bytes (one socket read into a buffer this size), so a client
    ///     reading with ``readEvery(_:)`` has a known top speed. Default: NIO's (several reads of up to 64 KiB).
    ///   - allowHalfClosure: the server shutting its sending side ends this connection's input only (``isInputClosed``,
    ///     a read returning 0) and the client can still send, as a WebSocket client's socket does; without, it closes.
    ///   - tls: speak TLS (no ALPN, no server name): what is sent and received is the plaintext; a failed handshake
    ///     closes the connection.
    ///   - readPacer: the socket is read only on this pacer's clock (``ReadPacer``; `autoRead` is then off whatever
    ///     `autoRead` says): with TLS, the way to read slowly, since TLS asks for reads of its own.
    ///   - lastMessage: written by the channel itself, then its sending side shut, the moment the bytes received
    ///     contain ``LastMessage/after`` (``LastMessage``).
    ///   - answer: called on the connection's own event loop with each read's bytes (after TLS), before they are
    ///     logged; what it returns is written and flushed at once: a client that answers what it reads (an HTTP/2
    ///     client giving back flow-control window as it takes DATA), however late the test's task resumes.
    public static func connect(
        port: Int,
        host: String = "127.0.0.1",
        connectTimeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        firstBytes: String? = nil,
        receiveBufferSize: Int? = nil,
        autoRead: Bool = true,
        bytesPerRead: Int? = nil,
        allowHalfClosure: Bool = false,
        tls: TLSConfiguration? = nil,
        readPacer: ReadPacer? = nil,
        lastMessage: LastMessage? = nil,
        answer: (@Sendable ([UInt8]) -> [UInt8])? = nil
    ) async throws -> RawTCP {
        let log = ReceiveLog()
        let tlsContext = try tls.map { try NIOSSLContext(configuration: $0) }
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(.autoRead, value: autoRead && readPacer == nil)
            .channelOption(.allowRemoteHalfClosure, value: allowHalfClosure)
        if let bytesPerRead {
            bootstrap = bootstrap
                .channelOption(.maxMessagesPerRead, value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: bytesPerRead))
        }
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        let channel = try await bootstrap
            .connectTimeout(TestTiming.scaled(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let readPacer { try channel.pipeline.syncOperations.addHandler(readPacer.makeHandler(eventLoop: channel.eventLoop)) }
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: nil))
                    }
                    if let lastMessage { try channel.pipeline.syncOperations.addHandler(SendLastMessage(message: lastMessage)) }
                    if let answer { try channel.pipeline.syncOperations.addHandler(AnswerReads(answer: answer)) }
                    try channel.pipeline.syncOperations.addHandler(ReceiveLogHandler(log: log))
                    if let firstBytes { try channel.pipeline.syncOperations.addHandler(SendOnActive(bytes: Array(firstBytes.utf8))) }
                }
            }
            .connect(host: host, port: port).get()
        return RawTCP(channel: channel, log: log)
    }

    /// A last message a connection sends on its own event loop as soon as it received `after`, with its end of output
    /// (a FIN) right behind it, however late the test's task resumes: a WebSocket client answering the server's greeting
    /// with a last frame and its close. The connection does not wait for the server to take the bytes (NIO shuts the
    /// socket's sending side only once its pending writes are written), so the FIN can stay behind bytes the server
    /// never reads.
    public struct LastMessage: Sendable {
        public var after: String
        /// A buffer (`ByteBuffer(repeating:count:)` makes tens of megabytes at once, where an array takes a while).
        public var bytes: ByteBuffer

        public init(after: String, bytes: ByteBuffer) {
            self.after = after
            self.bytes = bytes
        }
    }

    public func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(self.channel.allocator.buffer(bytes: bytes)).get()
    }

    public func close() async throws {
        try await self.channel.close().get()
    }

    /// Resets the connection (`SO_LINGER` 0, then close: a TCP RST), as a client that is killed or gives up mid-exchange
    /// does. Unlike ``close()``, whose FIN a server that allows half-closure reads as the end of the client's requests
    /// (and answers), a reset tells the server the client is gone.
    public func reset() async throws {
        if let socket = self.channel as? any SocketOptionProvider {
            try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try await self.channel.close().get()
    }

    /// Shuts the sending side only (`shutdown(SHUT_WR)`, a TCP half-close: the server reads the end of the input) and
    /// keeps receiving, as `nc -N` or an HTTP/1.0 script does after its request.
    public func shutdownOutput() async throws {
        try await self.channel.close(mode: .output).get()
    }

    /// Reads once what has arrived, for a connection made with `autoRead: false` (up to NIO's few socket reads per
    /// read: a slow client taking a bit).
    public func read() {
        self.channel.read()
    }

    /// Reads once every `interval` on the connection's own event loop (not a task that a loaded test run may resume
    /// late), for a connection made with `autoRead: false`: a client that reads slowly but steadily. Cancel the
    /// returned task to stop.
    public func readEvery(_ interval: TimeAmount) -> RepeatedTask {
        let channel = self.channel
        return channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in channel.read() }
    }

    /// Reads everything from now on, as a connection made with `autoRead: true` does.
    public func startReading() async throws {
        try await self.channel.setOption(.autoRead, value: true).get()
        self.channel.read()
    }

    /// Every byte received so far.
    public var received: [UInt8] { self.log.state.withLockedValue { $0.bytes } }
    /// How many bytes were received so far (without copying them: a long download appends while a test polls).
    public var receivedCount: Int { self.log.state.withLockedValue { $0.bytes.count } }
    /// Whether the server closed (or reset) the connection.
    public var isClosed: Bool { self.log.state.withLockedValue { $0.closed } }
    /// Whether the server shut its sending side while this connection stayed open (made with `allowHalfClosure`).
    public var isInputClosed: Bool { self.log.state.withLockedValue { $0.inputClosed } }

    /// Waits (polling) until the bytes received so far contain `text` or `timeout` (scaled by ``TestTiming``)
    /// passes; returns the bytes received.
    @discardableResult
    public func waitForReceived(containing text: String, timeout: Duration = TestTiming.eventWait) async -> [UInt8] {
        let needle = Array(text.utf8)
        _ = await pollUntil(timeout: timeout, poll: .milliseconds(5)) { self.received.contains(needle) || self.isClosed }
        return self.received
    }

    /// Waits (polling) until the server shuts its sending side (or closes) or `timeout` (scaled by ``TestTiming``)
    /// passes; returns the bytes received, all of which arrived before that end.
    @discardableResult
    public func waitForInputClosed(timeout: Duration = TestTiming.eventWait) async -> [UInt8] {
        _ = await pollUntil(timeout: timeout) { self.isInputClosed || self.isClosed }
        return self.received
    }

    /// Waits (polling) until the server closes the connection or `timeout` (scaled by ``TestTiming``) passes;
    /// returns the bytes received.
    @discardableResult
    public func waitForClose(timeout: Duration = TestTiming.eventWait) async -> [UInt8] {
        _ = await pollUntil(timeout: timeout) { self.isClosed }
        return self.received
    }
}

final class ReceiveLog: Sendable {
    struct State {
        var bytes: [UInt8] = []
        var closed = false
        var inputClosed = false
    }
    let state = NIOLockedValueBox(State())
}

final class ReceiveLogHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let log: ReceiveLog

    init(log: ReceiveLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        self.log.state.withLockedValue { $0.bytes += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.log.state.withLockedValue { $0.closed = true }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.log.state.withLockedValue { $0.inputClosed = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset still counts as closed; what arrived before it is kept.
        context.close(promise: nil)
    }
}

/// Hands each read's bytes to a ``RawTCP`` client's `answer` and writes back what it returns; passes every byte on.
final class AnswerReads: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let answer: @Sendable ([UInt8]) -> [UInt8]

    init(answer: @escaping @Sendable ([UInt8]) -> [UInt8]) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = self.answer(Array(self.unwrapInboundIn(data).readableBytesView))
        if !reply.isEmpty {
            context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

/// Writes a ``RawTCP/LastMessage`` and shuts the sending side once the bytes received contain its `after`, from the
/// channel's own event loop; passes every byte on.
///
/// On a connection that does not read by itself (`autoRead` off) it reads until `after` has come, and no further:
/// what follows stays in the kernel for the test to read at its own pace.
final class SendLastMessage: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let message: RawTCP.LastMessage
    private var received: [UInt8] = []
    private var sent = false

    init(message: RawTCP.LastMessage) { self.message = message }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        self.readIfNeeded(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += self.unwrapInboundIn(data).readableBytesView
        context.fireChannelRead(data)
        guard self.received.contains(Array(self.message.after.utf8)) else { return }
        self.sent = true
        context.writeAndFlush(self.wrapOutboundOut(self.message.bytes), promise: nil)
        context.close(mode: .output, promise: nil)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        self.readIfNeeded(context: context)
    }

    private func readIfNeeded(context: ChannelHandlerContext) {
        guard !self.sent, (try? context.channel.syncOptions?.getOption(.autoRead)) == false else { return }
        context.read()
    }
}

/// Writes its bytes as soon as the connection is up, from the channel's own event loop.
final class SendOnActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: self.bytes)), promise: nil)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}
