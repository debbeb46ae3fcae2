import Logging
import ServiceLifecycle
import TapCompareCore
import TapCompareLedger
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
        let address = try await self.proxy.boundAddress()
        self.readiness.set("proxy", ready: true)
        let c = self.configuration
        self.logger.notice("tapcompare listening", metadata: [
            "listen": "\(address)",
            "legacy": "\(c.legacy.map { "\($0)" } ?? "-")",
            "candidate": "\(c.candidate.map { "\($0)" } ?? "none: nothing is mirrored")",
            "sample_rate": "\(c.sampleRate)",
            "routes": "\(c.routes.count)",
            "ledger": "\(self.store.url)",
            "admin": "\(c.admin.listen)",
        ])
        // The ledger writer owns the migrations (it runs them at start-up and again before its first write after
        // an outage); readiness only follows the schema, so a load balancer waits for a usable ledger.
        while !Task.isCancelled {
            if let version = try? await self.store.schemaVersion(), version > 0 {
                self.readiness.set("ledger", ready: true)
                break
            }
            try? await Task.sleep(for: .seconds(1))
        }
        try? await gracefulShutdown()
        self.readiness.set("proxy", ready: false)
    }
}
