import NIOConcurrencyHelpers
import NIOCore

/// Reads a client connection's socket on a clock, whatever else in its pipeline asks for a read: a client that reads
/// slowly but steadily, or stops reading, below TLS or HTTP/2.
///
/// `autoRead: false` and a timer calling `channel.read()` (``RawTCP/readEvery(_:)``) pace a plain connection only:
/// `NIOSSLHandler` asks for another read while a TLS record is incomplete, and an HTTP/2 stream channel asks its
/// connection for one after each frame it takes, so those clients would read at full speed. The pacer's handler sits
/// first in the pipeline (next to the socket), drops every read request passing it, and issues its own on its clock:
/// with the connection's one read per request of at most `bytesPerRead` bytes, the client takes no more than that per
/// interval.
///
/// Made by the test and given to the client's `connect` (``RawTCP``'s, ``HTTP2TestClient``'s), which installs its
/// handler and turns `autoRead` off. It reads nothing until ``readEvery(_:)``.
public final class ReadPacer: Sendable {
    private let installed = NIOLockedValueBox<(eventLoop: any EventLoop, handler: NIOLoopBound<Handler>)?>(nil)

    public init() {}

    /// Reads once every `interval`, on the connection's own event loop (not a task that a loaded test run may resume
    /// late); replaces any earlier pace.
    public func readEvery(_ interval: TimeAmount) async throws {
        try await self.onLoop { $0.readEvery(interval) }
    }

    /// Reads nothing more: a client that stops reading (its TCP still acknowledges what fits its receive buffer).
    public func stop() async throws {
        try await self.onLoop { $0.stop() }
    }

    /// Reads everything from now on, at full speed: the pacer lets every read request through and `autoRead` is on.
    public func readFreely() async throws {
        try await self.onLoop { $0.readFreely() }
    }

    /// The handler for the client's pipeline, added first (next to the socket). One connection per pacer.
    func makeHandler(eventLoop: any EventLoop) -> Handler {
        let handler = Handler()
        self.installed.withLockedValue { installed in
            precondition(installed == nil, "a ReadPacer paces one connection")
            installed = (eventLoop, NIOLoopBound(handler, eventLoop: eventLoop))
        }
        return handler
    }

    private func onLoop(_ body: @escaping @Sendable (Handler) -> Void) async throws {
        guard let (eventLoop, handler) = self.installed.withLockedValue({ $0 }) else {
            preconditionFailure("the ReadPacer was not given to a client's connect")
        }
        try await eventLoop.submit { body(handler.value) }.get()
    }

    final class Handler: ChannelOutboundHandler {
        typealias OutboundIn = Any

        private var context: ChannelHandlerContext?
        private var clock: RepeatedTask?
        private var free = false

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.clock?.cancel()
            self.clock = nil
            self.context = nil
        }

        /// Someone up the pipeline (the channel's `read()`, TLS, HTTP/2) asks for a read: only the clock decides.
        func read(context: ChannelHandlerContext) {
            if self.free { context.read() }
        }

        func readEvery(_ interval: TimeAmount) {
            self.clock?.cancel()
            self.free = false
            guard let context else { return }
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            self.clock = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in
                handler.value.context?.read()
            }
        }

        func stop() {
            self.clock?.cancel()
            self.clock = nil
            self.free = false
        }

        func readFreely() {
            self.stop()
            self.free = true
            guard let context else { return }
            // Turning it on reads at once (NIO's own read, which does not pass through the pipeline).
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
            context.read()
        }
    }
}
