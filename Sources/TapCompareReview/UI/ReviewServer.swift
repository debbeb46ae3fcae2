import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TapCompareLedger

/// `tapcompare ui`: the review UI and API alone, over a ledger, without running the proxy.
///
/// It only listens on loopback: it shows request samples and accepts annotations, and it has no token of its own.
/// To reach the UI from another machine, use `serve`'s admin listener with `admin.token`, or an SSH tunnel.
public struct ReviewServer: Service {
    public struct Configuration: Sendable {
        /// Loopback host. Default `127.0.0.1`.
        public var host: String
        /// Port; 0 picks a free one (printed on start). Default 9091.
        public var port: Int
        /// The window pages open on. Default `24h`.
        public var defaultSince: String

        public init(host: String = "127.0.0.1", port: Int = 9091, defaultSince: String = "24h") {
            self.host = host
            self.port = port
            self.defaultSince = defaultSince
        }

        /// - Throws: ``ReviewError`` `invalidArgument` for a non-loopback host.
        public func validate() throws {
            guard ["127.0.0.1", "::1", "localhost"].contains(self.host) || self.host.hasPrefix("127.") else {
                throw ReviewError.invalidArgument("--listen \(self.host):\(self.port) is reachable from other machines; `tapcompare ui` only listens on loopback (127.0.0.1). Use serve's admin listener with admin.token, or an SSH tunnel")
            }
        }
    }

    let configuration: Configuration
    let source: any ReportSource
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    public init(configuration: Configuration, source: any ReportSource, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/ui"]) }
        ReviewRoutes(source: self.source, defaultSince: self.configuration.defaultSince).install(on: router)
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port), serverName: "tapcompare-ui"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: self.logger
        )
        try await app.run()
    }

    /// Runs the UI over `url` until SIGINT or SIGTERM.
    public static func run(url: LedgerURL, configuration: Configuration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) async throws {
        try configuration.validate()
        let database = ReviewDatabases.make(url: url, logger: logger)
        let source = LedgerReportSource(database: database, ledgerDescription: url.description)
        let server = ReviewServer(configuration: configuration, source: source, logger: logger, onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: database), .init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
