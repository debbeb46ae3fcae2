/// Where the data plane hands a completed exchange: the comparison stage in `serve`, a recorder in tests.
///
/// - Warning: ``submit(_:)`` is called on a proxy event loop. It must return at once: no waiting, no I/O,
///   no unbounded buffering. An implementation that cannot take the exchange drops it and counts the drop.
public protocol ExchangeSink: Sendable {
    func submit(_ exchange: Exchange)
    /// Several exchanges at once, in order: what an event loop completed in one turn (see the proxy's
    /// `LoopExchangeBatch`). A sink whose consumers sleep wakes them once for the lot instead of once each.
    func submit(contentsOf exchanges: [Exchange])
}

extension ExchangeSink {
    public func submit(contentsOf exchanges: [Exchange]) {
        for exchange in exchanges { self.submit(exchange) }
    }
}
