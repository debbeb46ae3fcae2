import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals
import TapCompareLedger

/// `tapcompare ui`: the review UI and API alone, over a ledger, without running the proxy.
///
/// It shows request samples and accepts annotations. Without a token it only listens on loopback, only answers
/// requests addressed to it and refuses cross-site writes (``LocalRequestMiddleware``). With a token (like
/// `serve`'s `admin.token`) every API call needs `Authorization: Bearer …` and it may listen on any address.
public struct ReviewServer: Service {
    public struct Configuration: Sendable {
        /// Host to listen on; without ``token`` it must be loopback. Default `127.0.0.1`.
        public var host: String
        /// Port; 0 picks a free one (printed on start). Default 9091.
        public var port: Int
        /// The window pages open on. Default `24h`.
        public var defaultSince: String
        /// Bearer token required on every API call (`--token-file`, `TAPCOMPARE_UI_TOKEN`). Default none.
        public var token: String?
        /// What `/api/v1/verdict` judges routes against (`ui --config`'s `cutover:` block). Default ``CutoverPolicy``'s.
        public var cutover: CutoverPolicy

        public init(host: String = "127.0.0.1", port: Int = 9091, defaultSince: String = "24h", token: String? = nil, cutover: CutoverPolicy = CutoverPolicy()) {
            self.host = host
            self.port = port
            self.defaultSince = defaultSince
            self.token = token
            self.cutover = cutover
        }

        /// - Throws: ``ReviewError`` `invalidArgument` for a non-loopback host without a token.
        public func validate() throws {
            guard LoopbackHost.isLoopback(self.host) || !(self.token ?? "").isEmpty else {
                throw ReviewError.invalidArgument("--listen \(self.host):\(self.port) is reachable from other machines; without a token `tapcompare ui` only listens on loopback (127.0.0.1). Give a token with --token-file or TAPCOMPARE_UI_TOKEN, or use an SSH tunnel")
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
        let boundPort = NIOLockedValueBox<Int?>(nil)
        if let token = self.configuration.token, !token.isEmpty {
            router.add(middleware: BearerTokenMiddleware(token: token, publicPaths: ReviewRoutes.publicPaths.union(["/"])))
        } else {
            router.add(middleware: LocalRequestMiddleware(listenHost: self.configuration.host, port: { boundPort.withLockedValue { $0 } }))
        }
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/ui"]) }
        ReviewRoutes(source: self.source, defaultSince: self.configuration.defaultSince, cutover: self.configuration.cutover, logger: self.logger).install(on: router)
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port), serverName: "tapcompare-ui"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.withLockedValue { $0 = port }
                onListening(port)
            },
            logger: self.logger
        )
        try await app.run()
    }

    /// Runs the UI over `url` until SIGINT or SIGTERM.
    public static func run(url: LedgerURL, configuration: Configuration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) async throws {
        try configuration.validate()
        let reader = LedgerReaders.make(url: url, logger: logger)
        let source = LedgerReportSource(reader: reader, ledgerDescription: url.description)
        let server = ReviewServer(configuration: configuration, source: source, logger: logger, onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: reader), .init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
