/// Where the data plane hands a completed exchange: the comparison stage in `serve`, a recorder in tests.
///
/// - Warning: ``submit(_:)`` is called on a proxy event loop. It must return at once: no waiting, no I/O,
///   no unbounded buffering. An implementation that cannot take the exchange drops it and counts the drop.
public protocol ExchangeSink: Sendable {
    func submit(_ exchange: Exchange)
}
