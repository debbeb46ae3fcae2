import Logging
import NIOCore
import TapCompareCore
import TapCompareMirroring

/// What every event loop's proxy state shares: configuration, the sink, the global in-flight bound, metrics.
final class ProxyShared: Sendable {
    let configuration: ProxyConfiguration
    let mirror: MirrorConfiguration
    let sink: any ExchangeSink
    let logger: Logger
    let limiter: InFlightLimiter
    let metrics: ProxyMetrics

    init(configuration: ProxyConfiguration, mirror: MirrorConfiguration, sink: any ExchangeSink, logger: Logger) {
        self.configuration = configuration
        self.mirror = mirror
        self.sink = sink
        self.logger = logger
        self.limiter = InFlightLimiter(limit: mirror.maxInFlight)
        self.metrics = ProxyMetrics()
    }
}
