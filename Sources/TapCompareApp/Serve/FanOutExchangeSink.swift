import TapCompareCore

/// Hands each exchange to several consumers (the comparison stage and the capture writer). Each consumer is
/// itself non-blocking and bounded, so the fan-out adds no waiting to the event loop.
public struct FanOutExchangeSink: ExchangeSink {
    let sinks: [any ExchangeSink]

    public init(_ sinks: [any ExchangeSink]) {
        self.sinks = sinks
    }

    public func submit(_ exchange: Exchange) {
        for sink in self.sinks { sink.submit(exchange) }
    }

    public func submit(contentsOf exchanges: [Exchange]) {
        for sink in self.sinks { sink.submit(contentsOf: exchanges) }
    }
}
