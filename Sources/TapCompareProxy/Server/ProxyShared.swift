import CoreMetrics
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
    /// Built once here; ``ProxyTLSContexts/none`` when ``tlsSetupError`` is set.
    let tls: ProxyTLSContexts
    /// Why the TLS contexts could not be built; ``ProxyServer/run()`` throws it before listening.
    let tlsSetupError: TLSFileError?

    init(
        configuration: ProxyConfiguration,
        mirror: MirrorConfiguration,
        sink: any ExchangeSink,
        logger: Logger,
        metricsFactory: any MetricsFactory
    ) {
        self.configuration = configuration
        self.mirror = mirror
        self.sink = sink
        self.logger = logger
        self.limiter = InFlightLimiter(limit: mirror.maxInFlight)
        self.metrics = ProxyMetrics(factory: metricsFactory)
        do {
            self.tls = try ProxyTLSContexts(configuration: configuration, mirror: mirror)
            self.tlsSetupError = nil
        } catch {
            self.tls = .none
            self.tlsSetupError = error
        }
    }
}
