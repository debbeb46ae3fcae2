import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareStoreChecks
import TapCompareReview
import TapCompareRules

/// Wires `serve`: every long-lived part is a `Service` in one `ServiceGroup`, ordered by dependency so that
/// shutdown (the reverse order) stops accepting clients first and closes the ledger last:
///
/// ledger store → ledger writer → probes → classification → comparison stage → capture writer → proxy →
/// ledger reader (review) → admin listener (health, metrics, `/ui`, `/api/v1`) → SIGHUP reloader.
///
/// The proxy binds its port only once the admin listener is bound, so nothing is forwarded by an instance that
/// fails to start (``ListenPreflight``).
///
/// On SIGTERM/SIGINT the proxy stops accepting, finishes in-flight legacy requests and waits up to
/// `shutdown_grace` for candidate calls; the comparison stage then drains its queue and the writer flushes (or
/// spools) what is left.
public struct ServeRunner {
    public let configuration: ServeConfiguration
    /// The configuration file's name for error messages, `nil` when flags alone were used.
    public let configurationFile: String?
    /// Runs in ``serve(logger:)`` after the listen pre-flight and before anything binds; `nil` (the default) in
    /// `tapcompare serve`. A test seam: a test takes a port here to stage, deterministically, the race the
    /// pre-flight cannot see.
    public var afterListenPreflight: (@Sendable () async throws -> Void)?

    public init(configuration: ServeConfiguration, configurationFile: String? = nil) {
        self.configuration = configuration
        self.configurationFile = configurationFile
    }

    /// `tapcompare serve` once its configuration is loaded: checks both listen addresses (``ListenPreflight``),
    /// builds everything (``assemble(logger:)``) and runs it (``run(_:logger:)``) until SIGTERM or SIGINT.
    /// - Throws: ``ConfigurationError`` for a mistake the user can fix (the command exits 2), including an address
    ///   that could not be bound at the real bind; any other error as it came.
    public func serve(logger: Logger) async throws {
        try await ListenPreflight.check(self.configuration, file: self.configurationFile)
        try await self.afterListenPreflight?()
        let assembly = try self.assemble(logger: logger)
        try await self.run(assembly, logger: logger)
    }

    /// Everything `serve` runs, built and validated but not started (tests start it on port 0).
    public struct Assembly: Sendable {
        public let proxy: ProxyServer
        public let admin: AdminServer
        public let stage: ComparisonStage
        public let writer: LedgerWriter
        public let store: any LedgerStore
        public let capture: CaptureWriter?
        public let classification: ClassificationService
        public let noisePublisher: NoiseModelPublisher
        public let readiness: Readiness
        public let services: [ServiceGroupConfiguration.ServiceConfiguration]
    }

    /// Builds every component. Mistakes a user can fix (rules, ledger URL, redaction paths, spool directory)
    /// are reported as a ``ConfigurationError`` naming the key.
    public func assemble(logger: Logger) throws(ConfigurationError) -> Assembly {
        let c = self.configuration
        _ = MetricsBootstrap.registry
        let group = MultiThreadedEventLoopGroup.singleton
        let (ruleSet, rulesDirectory) = try self.loadRules()
        let (store, writer) = try self.makeLedger(logger: logger)

        // Classification: regression, noise or race, and write verification.
        guard let legacy = c.legacy else { throw self.issue("legacy", "no legacy upstream; set 'legacy:' or pass --legacy URL") }
        let (classification, probes) = try self.makeClassification(legacy: legacy, group: group, logger: logger, issue: self.issue)
        let (storeChecks, refiner) = try self.makeStoreChecks(classification: classification, logger: logger)

        // Comparison.
        let stage = ComparisonStage(
            ruleSet: ruleSet,
            sink: writer,
            refiner: refiner,
            configuration: .init(
                queueCapacity: c.comparison.queueCapacity,
                workers: c.comparison.workers,
                shutdownGracePeriod: c.shutdownGrace,
                comparator: .init(versionHeader: c.comparison.versionHeader, grpc: .init(descriptors: c.grpcDescriptors, configuration: c.grpc))
            ),
            logger: logger
        )

        let capture = try self.makeCapture(logger: logger)
        let sinks: [any ExchangeSink] = capture.map { [stage, $0] } ?? [stage]
        let (admin, readiness, reviewReader) = self.makeAdmin(group: group, logger: logger)
        // Nothing is forwarded unless both listeners are bound. Hummingbird binds the admin listener itself and
        // takes no socket bound beforehand, so the two cannot be bound first and started after; instead the proxy
        // binds (and accepts) only once the admin listener is bound. With the admin port taken the proxy never
        // listens; with the proxy's taken, the admin listener alone was up, answering probes, and stops again.
        let proxy = self.makeProxy(
            legacy: legacy, sink: sinks.count == 1 ? stage : FanOutExchangeSink(sinks), group: group, logger: logger,
            listensAfter: { _ = try await admin.listeningPort() }
        )
        let reloader = Self.makeReloader(stage: stage, rulesDirectory: rulesDirectory, check: self.rulesCheck, logger: logger)
        let startup = StartupReporter(proxy: proxy, store: store, readiness: readiness, configuration: c, logger: logger)

        let noisePublisher = NoiseModelPublisher(
            model: classification.noiseModel, learning: c.noise.secondary != nil || c.noise.replayLegacy,
            instance: c.ledger.instance, store: store, logger: logger
        )

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: store),
            .init(service: writer),
            .init(service: noisePublisher),
            .init(service: ProbeLifecycle(probes: probes)),
            .init(service: classification),
        ]
        if let storeChecks { services.append(.init(service: storeChecks)) }
        services += [
            .init(service: stage),
        ]
        if let capture { services.append(.init(service: capture)) }
        if let interval = c.memoryReleaseInterval {
            services.append(.init(service: MemoryReleaseService(interval: interval, logger: logger)))
        }
        services += [
            .init(service: proxy),
            .init(service: reviewReader),
        ]
        let reportSource = LedgerReportSource(reader: reviewReader, ledgerDescription: c.ledger.url.description)
        if let notifier = WebhookNotifier(configuration: c.notify, logger: logger, judge: WebhookNotifier.judging(reportSource, policy: c.cutover)) {
            services.append(.init(service: notifier))
        }
        services += [
            .init(service: admin),
            .init(service: reloader),
            .init(service: startup),
        ]
        return Assembly(
            proxy: proxy, admin: admin, stage: stage, writer: writer, store: store, capture: capture,
            classification: classification, noisePublisher: noisePublisher,
            readiness: readiness, services: services
        )
    }

    /// The classification service and the probes it reads through (closed by ``ProbeLifecycle`` after it).
    func makeClassification(
        legacy: UpstreamURL,
        group: any EventLoopGroup,
        logger: Logger,
        issue: (String, String) -> ConfigurationError
    ) throws(ConfigurationError) -> (ClassificationService, [HTTPUpstreamProbe]) {
        let c = self.configuration
        /// A probe reads through the same TLS setting as the proxy's connections to that upstream.
        func probe(_ url: UpstreamURL, tls: UpstreamTLS, side: String) throws(ConfigurationError) -> HTTPUpstreamProbe {
            do {
                return try HTTPUpstreamProbe(
                    configuration: .init(
                        upstream: url, preserveHost: c.preserveHost, shadowHeaderName: c.mirror.shadowHeader,
                        connectTimeout: .nanoseconds(c.upstream.connectTimeout.nanoseconds),
                        timeout: .nanoseconds(c.mirror.timeout.nanoseconds),
                        maxResponseBodyBytes: c.mirror.maxResponseBytes,
                        tls: tls
                    ),
                    eventLoopGroup: group
                )
            } catch {
                throw issue("upstream_tls.\(side).ca_file", error.description)
            }
        }
        var verifications: [String: WriteVerification] = [:]
        for route in c.routes {
            guard let verify = route.verify, let read = verify.read else { continue }
            var source = WriteVerification.Source.automatic
            if let idFrom = verify.idFrom {
                if idFrom.hasPrefix("path:") {
                    source = .pathParameter(String(idFrom.dropFirst(5)))
                } else if let path = try? JSONPath(parsing: idFrom), let pointer = ClassificationConfiguration.singleValuePointer(path) {
                    source = .responseBody(pointer)
                }
            }
            verifications[route.template.name] = WriteVerification(read: read, source: source, delay: verify.delay)
        }
        var versionPointer: JSONPointer?
        if let text = c.race.versionPath {
            guard let path = try? JSONPath(parsing: text), let pointer = ClassificationConfiguration.singleValuePointer(path) else {
                throw issue("race.version_path", "'\(text)' is not a single-value JSONPath such as $.version")
            }
            versionPointer = pointer
        }
        let legacyProbe = try probe(legacy, tls: c.upstreamTLS.legacy, side: "legacy")
        var probes = [legacyProbe]
        var baselineProbe: (any UpstreamProbe)?
        if let secondary = c.noise.secondary {
            let p = try probe(secondary, tls: c.upstreamTLS.effectiveSecondary, side: c.upstreamTLS.secondary == nil ? "legacy" : "secondary")
            probes.append(p)
            baselineProbe = p
        } else if c.noise.replayLegacy {
            baselineProbe = legacyProbe
        }
        var candidateProbe: (any UpstreamProbe)?
        if let candidate = c.candidate, !verifications.isEmpty {
            let p = try probe(candidate, tls: c.upstreamTLS.candidate, side: "candidate")
            probes.append(p)
            candidateProbe = p
        }
        let service = ClassificationService(
            configuration: ClassificationConfiguration(
                baselineRate: c.noise.baselineRate,
                noiseModel: .init(minShare: c.noise.minShare, minSamples: c.noise.minSamples, window: c.noise.window),
                recheck: c.race.recheck,
                recheckDelay: c.race.recheckDelay,
                versionHeaders: c.race.versionHeaders,
                versionPointer: versionPointer,
                verifications: verifications,
                maxInFlight: c.classification.maxInFlight,
                queueCapacity: c.classification.queueCapacity
            ),
            baselineProbe: baselineProbe,
            legacyProbe: legacyProbe,
            candidateProbe: candidateProbe,
            logger: logger
        )
        return (service, probes)
    }

    /// Runs what ``assemble(logger:)`` built until SIGTERM or SIGINT.
    /// - Throws: ``ConfigurationError`` naming the key when a listener could not bind its address (taken after the
    ///   pre-flight, see ``ListenPreflight``); any other error as the service that failed threw it.
    public func run(_ assembly: Assembly, logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: assembly.services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch let error as ListenerBindError {
            let address = ListenPreflight.address(of: error.listener, in: self.configuration)
            throw ConfigurationError(issues: [
                ListenPreflight.issue(error.listener, address: address, file: self.configurationFile, reason: ListenPreflight.reason(error.underlying)),
            ])
        }
    }

    /// Logs to standard error at `LOG_LEVEL` (default `info`).
    public static func makeLogger() -> Logger {
        var logger = Logger(label: "tapcompare")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }
}

/// Closes the classification probes' connection pools once everything that reads through them has stopped.
struct ProbeLifecycle: Service {
    let probes: [HTTPUpstreamProbe]

    func run() async throws {
        try? await gracefulShutdown()
        for probe in self.probes { try? await probe.shutdown() }
    }
}

extension Duration {
    /// Whole nanoseconds, for NIO's `TimeAmount`.
    var nanoseconds: Int64 {
        let (seconds, attos) = self.components
        return seconds * 1_000_000_000 + attos / 1_000_000_000
    }
}
