import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareReview
import TapCompareRules
import TapCompareStoreChecks

/// The steps of ``ServeRunner/assemble(logger:)``, one a component, each reporting the key to fix.
extension ServeRunner {
    /// A mistake in `key` of the configuration file (or the command line).
    func issue(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(issues: [.init(file: self.configurationFile ?? "command line", key: key, message: message)])
    }

    /// The rule set in force at start and the directory SIGHUP reloads (`nil`: no rules directory).
    func loadRules() throws(ConfigurationError) -> (RuleSet, String?) {
        let c = self.configuration
        // Rules: an explicit directory must load; the default `diff-rules` is used when it exists.
        var ruleSet = RuleSet.empty
        let rulesDirectory = c.rules ?? (FileManager.default.fileExists(atPath: "diff-rules") ? "diff-rules" : nil)
        if let rulesDirectory {
            do {
                ruleSet = try RuleSetLoader.load(directory: rulesDirectory)
            } catch {
                throw issue("rules", "the rules in '\(rulesDirectory)' have mistakes (run `tapcompare rules check \(rulesDirectory)`):\n\(error.description)")
            }
        }
        let mistakes = self.rulesCheck.mistakes(in: ruleSet)
        if !mistakes.isEmpty {
            throw issue("rules", "the rules in '\(rulesDirectory ?? "")' do not fit this configuration:\n\(RuleSetError(diagnostics: mistakes).description)")
        }
        return (ruleSet, rulesDirectory)
    }

    /// The rules checked against this configuration, at start and on every reload.
    var rulesCheck: RulesConfigurationCheck {
        RulesConfigurationCheck(configuration: self.configuration, configurationFile: self.configurationFile ?? "command line")
    }

    /// The ledger store and the batch writer in front of it.
    func makeLedger(logger: Logger) throws(ConfigurationError) -> (any LedgerStore, LedgerWriter) {
        let c = self.configuration
        let store = LedgerStores.make(url: c.ledger.url, logger: logger)
        let writer: LedgerWriter
        do {
            // Samples are redacted on their decoded content, decoded by the comparison's own decoder.
            writer = try LedgerWriter(configuration: c.ledger, store: store, logger: logger, bodyDecoder: BodyDecoder())
        } catch {
            throw issue("ledger", error.description)
        }
        return (store, writer)
    }

    /// Store checks: the stores a mirrored write landed in, read on both sides after the write. Returns the
    /// service (`nil` when no route checks a store) and the refiner the comparison stage hands records to.
    func makeStoreChecks(
        classification: ClassificationService,
        logger: Logger
    ) throws(ConfigurationError) -> (StoreCheckService?, any ComparisonRefiner) {
        let c = self.configuration
        var storeChecks: StoreCheckService?
        var refiner: any ComparisonRefiner = classification
        if c.storeChecks.isEnabled {
            do {
                let service = try StoreCheckService(configuration: c.storeChecks, logger: logger)
                storeChecks = service
                refiner = StoreCheckingRefiner(next: classification, storeChecks: service)
            } catch {
                throw issue("stores", error.description)
            }
        }
        return (storeChecks, refiner)
    }

    /// The capture writer, when `capture.path` is set.
    func makeCapture(logger: Logger) throws(ConfigurationError) -> CaptureWriter? {
        let c = self.configuration
        var capture: CaptureWriter?
        if let path = c.capture.path {
            do {
                capture = try CaptureWriter(
                    configuration: CaptureConfiguration(
                        path: path, sampleRate: c.capture.sampleRate, maxFileBytes: c.capture.maxFileBytes, maxFiles: c.capture.maxFiles,
                        queueCapacity: c.capture.queueCapacity,
                        redaction: c.ledger.redaction
                    ),
                    logger: logger
                )
            } catch {
                throw issue("capture", "\(error)")
            }
        }
        return capture
    }

    /// `url` speaking `version` (`upstream.protocol`, `mirror.protocol`) when it is TLS; `h2c://` and `http://` say
    /// their protocol themselves (the loader refuses a `protocol` that contradicts them).
    static func speaking(_ version: UpstreamURL.HTTPVersion?, _ url: UpstreamURL) -> UpstreamURL {
        guard let version, url.usesTLS else { return url }
        var url = url
        url.httpVersion = version
        return url
    }

    /// The listener's and legacy's half of `c`, as the proxy takes it (`legacy` is `c.legacy`, known to be set).
    static func proxyConfiguration(_ c: ServeConfiguration, legacy: UpstreamURL) -> ProxyConfiguration {
        ProxyConfiguration(
            host: c.listen.host,
            port: c.listen.port,
            legacy: Self.speaking(c.upstream.httpProtocol, legacy),
            preserveHost: c.preserveHost,
            trustForwardedHeaders: c.forwarded.trustClientHeaders,
            connectTimeout: .nanoseconds(Int64(c.upstream.connectTimeout.nanoseconds)),
            readTimeout: .nanoseconds(Int64(c.upstream.readTimeout.nanoseconds)),
            writeTimeout: .nanoseconds(Int64(c.upstream.writeTimeout.nanoseconds)),
            maxIdleConnectionsPerLoop: c.upstream.maxConnections,
            idleTimeout: .nanoseconds(Int64(c.upstream.idleTimeout.nanoseconds)),
            requestIDHeader: c.requestIDHeader,
            maxRequestHeadBytes: c.listener.maxHeaderBytes,
            maxRequestHeaders: c.listener.maxHeaders,
            headerTimeout: .nanoseconds(c.listener.headerTimeout.nanoseconds),
            clientIdleTimeout: .nanoseconds(c.listener.idleTimeout.nanoseconds),
            sendTimeout: .nanoseconds(c.listener.sendTimeout.nanoseconds),
            maxConcurrentStreams: c.listener.maxConcurrentStreams,
            shutdownGrace: .nanoseconds(Int64(c.shutdownGrace.nanoseconds)),
            backlog: Int32(c.listener.backlog),
            maxAcceptsPerWakeup: c.listener.maxAcceptsPerWakeup,
            tls: c.tls,
            legacyTLS: c.upstreamTLS.legacy
        )
    }

    /// The proxy: listener, legacy forwarding and the mirror to the candidate, handing exchanges to `sink`; it binds
    /// its port once `listensAfter` returns (``ProxyServer/init(configuration:mirror:eventLoopGroup:logger:sink:metricsFactory:listensAfter:)``).
    func makeProxy(
        legacy: UpstreamURL, sink: any ExchangeSink, group: any EventLoopGroup, logger: Logger,
        listensAfter: @escaping @Sendable () async throws -> Void
    ) -> ProxyServer {
        let c = self.configuration
        let routes = RouteTable(
            entries: c.routes.map { .init(template: $0.template, value: RoutePolicy(mirror: $0.mirror, sampleRate: $0.sampleRate, mirrorWrites: $0.mirrorWrites)) },
            fallback: RoutePolicy()
        )
        return ProxyServer(
            configuration: Self.proxyConfiguration(c, legacy: legacy),
            mirror: MirrorConfiguration(
                candidate: c.candidate.map { Self.speaking(c.mirror.httpProtocol, $0) },
                sampleRate: c.sampleRate,
                sampleKey: c.sampleKey,
                maxInFlight: c.mirror.maxInFlight,
                timeout: .nanoseconds(Int64(c.mirror.timeout.nanoseconds)),
                connectTimeout: .nanoseconds(Int64(c.upstream.connectTimeout.nanoseconds)),
                maxBodyBytes: c.mirror.maxBodyBytes,
                maxResponseBodyBytes: c.mirror.maxResponseBytes,
                shadowHeaderName: c.mirror.shadowHeader,
                routes: routes,
                candidateTLS: c.upstreamTLS.candidate,
                grpcReadCalls: c.grpcMethodPolicy
            ),
            eventLoopGroup: group,
            logger: logger,
            sink: sink,
            listensAfter: listensAfter
        )
    }

    /// The admin listener (health, readiness, metrics, the review UI and API) and the review's own reader of
    /// the ledger.
    func makeAdmin(group: any EventLoopGroup, logger: Logger) -> (AdminServer, Readiness, LedgerReader) {
        let c = self.configuration
        let readiness = Readiness()
        readiness.register("proxy")
        readiness.register("ledger")
        // The review UI and its API read the same ledger through their own connection, so a slow report never
        // holds up the writer.
        let reviewReader = LedgerReaders.make(url: c.ledger.url, logger: logger)
        let review = ReviewRoutes(source: LedgerReportSource(reader: reviewReader, ledgerDescription: c.ledger.url.description), cutover: c.cutover, logger: logger)
        let admin = AdminServer(
            configuration: .init(listen: c.admin.listen, token: c.admin.token),
            registry: MetricsBootstrap.registry,
            readiness: readiness,
            routes: [review.installer],
            publicPaths: ReviewRoutes.publicPaths,
            eventLoopGroup: group,
            logger: logger
        )
        return (admin, readiness, reviewReader)
    }

    /// SIGHUP: reloads `rulesDirectory` into `stage`; a bad set, or one that does not fit the configuration
    /// (`check`, as at start), is refused and counted, the old one stays.
    static func makeReloader(stage: ComparisonStage, rulesDirectory: String?, check: RulesConfigurationCheck, logger: Logger) -> SignalReloadService {
        let reloaded = Counter(label: "tapcompare_rules_reloads_total", dimensions: [("result", "ok")])
        let refused = Counter(label: "tapcompare_rules_reloads_total", dimensions: [("result", "failed")])
        return SignalReloadService(logger: logger) {
            guard let rulesDirectory else {
                logger.info("SIGHUP: no rules directory configured; nothing to reload")
                return
            }
            do {
                try stage.reload(rulesDirectory: rulesDirectory, check: check.mistakes(in:))
                reloaded.increment()
                logger.info("rules reloaded", metadata: ["rules.directory": "\(rulesDirectory)"])
            } catch {
                refused.increment()
                logger.error("rules NOT reloaded; the previous rules stay in force", metadata: [
                    "rules.directory": "\(rulesDirectory)", "error": "\(error)",
                ])
            }
        }
    }
}
