import Logging
import NIOCore
import ServiceLifecycle
import TapCompareCore
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy

/// Marks the instance ready once the proxy listens and the ledger schema is in place, and prints the
/// start-up line (addresses and the sample rate) an operator looks for.
struct StartupReporter: Service {
    let proxy: ProxyServer
    let store: any LedgerStore
    let readiness: Readiness
    let configuration: ServeConfiguration
    let logger: Logger

    func run() async throws {
        let address: SocketAddress
        do {
            address = try await self.proxy.boundAddress()
        } catch {
            // The proxy never listened: its own bind failed, or the admin listener's did. The listener that failed
            // reports it; this waits for the group to stop (returning now would be taken for a failure of its own).
            try? await gracefulShutdown()
            return
        }
        self.readiness.set("proxy", ready: true)
        let c = self.configuration
        for warning in Self.insecureTLSWarnings(c) {
            self.logger.warning("\(warning)")
        }
        self.logger.notice("tapcompare listening", metadata: [
            "listen": "\(c.tls == nil ? "http" : "https")://\(address)",
            // With the protocol they are spoken to (`upstream.protocol`, `mirror.protocol`): `https://… (http2)`.
            "legacy": "\(c.legacy.map { Self.describe(ServeRunner.speaking(c.upstream.httpProtocol, $0), tls: c.upstreamTLS.legacy) } ?? "-")",
            "candidate": "\(c.candidate.map { Self.describe(ServeRunner.speaking(c.mirror.httpProtocol, $0), tls: c.upstreamTLS.candidate) } ?? "none: nothing is mirrored")",
            "sample_rate": "\(c.sampleRate)",
            "routes": "\(c.routes.count)",
            "ledger": "\(self.store.url)",
            "admin": "\(c.admin.listen)",
        ])
        // The ledger writer owns the migrations (it runs them at start-up and again before its first write after
        // an outage); readiness only follows the schema, so a load balancer waits for a usable ledger. A shutdown
        // ends the wait: with the ledger down it would never end, and the service group waits for every service
        // (SIGTERM during an outage used to hang until SIGKILL).
        let store = self.store
        let readiness = self.readiness
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let version = try? await store.schemaVersion(), version > 0 {
                    readiness.set("ledger", ready: true)
                    break
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        try? await gracefulShutdown()
        self.readiness.set("proxy", ready: false)
    }

    /// An upstream for the summary; an `https://` one says how its certificate is checked.
    static func describe(_ url: UpstreamURL, tls: UpstreamTLS) -> String {
        url.usesTLS ? "\(url) (TLS \(tls))" : "\(url)"
    }

    /// One loud line per `https://` upstream whose certificate is not verified.
    static func insecureTLSWarnings(_ c: ServeConfiguration) -> [String] {
        // (name, URL, setting, the key that set it): a secondary without its own block inherits legacy's.
        let upstreams: [(String, UpstreamURL?, UpstreamTLS, String)] = [
            ("legacy", c.legacy, c.upstreamTLS.legacy, "legacy"),
            ("candidate", c.candidate, c.upstreamTLS.candidate, "candidate"),
            ("secondary", c.noise.secondary, c.upstreamTLS.effectiveSecondary, c.upstreamTLS.secondary == nil ? "legacy" : "secondary"),
        ]
        return upstreams.compactMap { name, url, tls, key in
            guard let url, url.usesTLS, tls.insecure else { return nil }
            return "TLS CERTIFICATE VERIFICATION IS OFF for \(name) \(url) (upstream_tls.\(key).insecure: true): "
                + "anyone on the network path can read and change this traffic; use it for staging only"
        }
    }
}
