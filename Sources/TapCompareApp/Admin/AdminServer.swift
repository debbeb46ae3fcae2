import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import TapCompareCore
import TapCompareReview

/// The admin listener: `/healthz`, `/readyz`, `/metrics` (Prometheus text format), and whatever the review
/// layer mounts (`/ui`, `/api/v1/…`).
///
/// It binds to loopback by default; bound to any other address it refuses to start without a token, because it
/// exposes request samples from the ledger.
public struct AdminServer: Service {
    public struct Configuration: Sendable {
        /// Where to listen. Default `127.0.0.1:9090`.
        public var listen: ListenAddress
        /// Bearer token; required unless `listen` is loopback. Without one, the listener only answers requests
        /// addressed to it and refuses cross-site writes (``TapCompareReview/LocalRequestMiddleware``).
        public var token: String?

        public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9090), token: String? = nil) {
            self.listen = listen
            self.token = token
        }

        /// The start-up check: a non-loopback admin listener without a token is refused.
        public func validate(file: String) throws(ConfigurationError) {
            if !self.listen.isLoopback && (self.token ?? "").isEmpty {
                throw ConfigurationError(issues: [.init(
                    file: file, key: "admin.token",
                    message: "the admin listener on \(self.listen) is reachable from other machines; set admin.token (a bearer token) or listen on 127.0.0.1"
                )])
            }
        }
    }

    /// Mounts more routes on the admin router (the review UI and its API). With a token, only `publicPaths`
    /// (given to ``init(configuration:registry:readiness:routes:publicPaths:eventLoopGroup:logger:)``) and the
    /// health probes are served without it.
    public typealias RouteInstaller = @Sendable (Router<BasicRequestContext>) -> Void

    let configuration: Configuration
    let registry: PrometheusCollectorRegistry
    let readiness: Readiness
    let installers: [RouteInstaller]
    let publicPaths: Set<String>
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let boundPort: BoundPort

    public init(
        configuration: Configuration,
        registry: PrometheusCollectorRegistry,
        readiness: Readiness,
        routes: [RouteInstaller] = [],
        publicPaths: Set<String> = [],
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.registry = registry
        self.readiness = readiness
        self.installers = routes
        self.publicPaths = publicPaths
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.boundPort = BoundPort()
    }

    /// The port actually bound (useful with port 0), once the listener is up.
    public var port: Int? { self.boundPort.value }

    /// Waits until the admin listener listens and returns its port (`serve` starts the proxy's listener after it).
    ///
    /// Not cancellable: it returns or throws once ``run()`` has bound the port or ended (it waits as long as
    /// ``run()`` has not been called).
    /// - Throws: ``TapCompareCore/ListenerBindError`` when the listener could not bind its address;
    ///   `CancellationError` when it was shut down before it listened; the error that ended ``run()`` otherwise.
    public func listeningPort() async throws -> Int {
        try await self.boundPort.wait()
    }

    public func run() async throws {
        let router = Router()
        let boundPort = self.boundPort
        if let token = self.configuration.token, !token.isEmpty {
            router.add(middleware: BearerTokenMiddleware(token: token, publicPaths: self.publicPaths))
        } else {
            // Loopback without a token: only requests addressed to this listener, and no cross-site writes.
            router.add(middleware: LocalRequestMiddleware(listenHost: self.configuration.listen.host, port: { boundPort.value }))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        let readiness = self.readiness
        router.get("/readyz") { _, _ -> Response in
            if readiness.isReady { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) }
            let body = "not ready: \(readiness.pending.joined(separator: ", "))\n"
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
            response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
        for install in self.installers { install(router) }

        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(self.configuration.listen.host, port: self.configuration.listen.port),
                serverName: "tapcompare-admin"
            ),
            onServerRunning: { [listen = self.configuration.listen] channel in boundPort.set(channel.localAddress?.port ?? listen.port) },
            eventLoopGroupProvider: .shared(self.eventLoopGroup),
            logger: self.logger
        )
        do {
            try await app.run()
        } catch {
            // Until `onServerRunning`, Hummingbird only builds the router (which throws nothing here) and binds: a
            // socket or address error before the port is known is the bind's.
            let failure = boundPort.value == nil && (error is IOError || error is SocketAddressError)
                ? ListenerBindError(listener: .admin, underlying: error) : error
            boundPort.fail(failure)
            throw failure
        }
        // Returned without an error: shut down, during start-up when the port was never bound (no-op otherwise).
        boundPort.fail(CancellationError())
    }
}
