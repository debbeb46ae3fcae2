import CoreMetrics
import Metrics
import Prometheus
import NIOConcurrencyHelpers

/// Installs the Prometheus backend for swift-metrics exactly once per process (swift-metrics allows one
/// bootstrap), and hands out the registry that `/metrics` renders.
public enum MetricsBootstrap {
    private static let installed = NIOLockedValueBox<PrometheusCollectorRegistry?>(nil)

    /// The process-wide registry, bootstrapping swift-metrics on first use.
    public static var registry: PrometheusCollectorRegistry {
        self.installed.withLockedValue { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Latency histograms in seconds with buckets from 1 ms to 10 s: proxy latencies live there.
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .milliseconds(2500), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            current = registry
            return registry
        }
    }
}
