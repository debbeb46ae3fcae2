import NIOCore
import TapCompareCore

/// Hands an event loop's completed exchanges to the sink once per turn of the loop instead of one by one.
///
/// Every exchange handed over alone woke a sleeping comparison worker: a futex wake-up and a context switch per
/// mirrored request, on the core the loop needs (measured at sample rate 1.0: two `futex` calls per request,
/// half the proxy's system time). Collected during one turn — the loop reads many connections per wake-up —
/// and handed over together at its end, they wake the workers once.
///
/// Nothing waits for it: the client's answer is already written when an exchange completes, and the hand-over
/// runs later in the same turn (`EventLoop.execute`). Bounded: at ``maxBuffered`` exchanges it hands over at once.
/// Loop-confined (`@unchecked Sendable` for the loop's context that holds it).
final class LoopExchangeBatch: ExchangeSink, @unchecked Sendable {
    /// The most exchanges held before a hand-over, whatever the loop is doing.
    static let maxBuffered = 256

    private let eventLoop: any EventLoop
    private let sink: any ExchangeSink
    private var buffered: [Exchange] = []
    private var handOverScheduled = false

    init(eventLoop: any EventLoop, sink: any ExchangeSink) {
        self.eventLoop = eventLoop
        self.sink = sink
    }

    func submit(_ exchange: Exchange) {
        self.eventLoop.assertInEventLoop()
        self.buffered.append(exchange)
        if self.buffered.count >= Self.maxBuffered {
            self.handOver()
        } else if !self.handOverScheduled {
            self.handOverScheduled = true
            self.eventLoop.execute { self.handOver() }
        }
    }

    /// Gives the sink everything held (also what arrives during shutdown: the loop runs this task before it stops).
    func handOver() {
        self.handOverScheduled = false
        guard !self.buffered.isEmpty else { return }
        let batch = self.buffered
        self.buffered.removeAll(keepingCapacity: true)
        self.sink.submit(contentsOf: batch)
    }
}
