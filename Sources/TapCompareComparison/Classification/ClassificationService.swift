import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import NIOConcurrencyHelpers
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// Classifies every discrepancy as `regression`, `noise` or `race`, and verifies writes, between the diff
/// engine and the ledger.
///
/// Evidence that needs I/O — a second legacy answer (noise baseline), a later legacy re-read (race check), the
/// follow-up reads of a write — is gathered in this service's own tasks, at most
/// ``ClassificationConfiguration/maxInFlight`` at once, with a bounded queue in front; when both are full a
/// comparison is classified with what is known without I/O (versions, learned noise) and the skip is counted.
/// Only safe requests (GET, HEAD, OPTIONS) are ever sent again.
public final class ClassificationService: ComparisonRefiner, Service, Sendable {
    struct Work: Sendable {
        var record: ComparisonRecord
        var exchange: Exchange
        var comparator: Comparator
        var deliver: @Sendable (ComparisonRecord) -> Void
        var wantsBaseline: Bool
        var wantsRecheck: Bool
        var verification: WriteVerification?
        /// Judged once in ``refine``: with `race.version_path` it parses both bodies.
        var versionsDiffer: Bool
    }

    public let configuration: ClassificationConfiguration
    public let noiseModel: NoiseModel
    let baselineProbe: (any UpstreamProbe)?
    let legacyProbe: (any UpstreamProbe)?
    let candidateProbe: (any UpstreamProbe)?
    let logger: Logger
    /// Work waiting for one of the ``ClassificationConfiguration/maxInFlight`` slots.
    private let queue: BoundedQueue<Work>

    /// - Parameters:
    ///   - baselineProbe: asks legacy (`noise.replay_legacy`) or a second legacy instance (`secondary:`) for
    ///     the noise baseline; `nil` turns per-request noise detection off.
    ///   - legacyProbe: re-reads legacy for race checks and write verification; `nil` turns both off.
    ///   - candidateProbe: the candidate side of write verification.
    public init(
        configuration: ClassificationConfiguration,
        baselineProbe: (any UpstreamProbe)?,
        legacyProbe: (any UpstreamProbe)?,
        candidateProbe: (any UpstreamProbe)?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.noiseModel = NoiseModel(configuration: configuration.noiseModel)
        self.baselineProbe = baselineProbe
        self.legacyProbe = legacyProbe
        self.candidateProbe = candidateProbe
        self.logger = logger
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
    }

    // MARK: ComparisonRefiner

    public func refine(
        _ record: ComparisonRecord,
        exchange: Exchange,
        comparator: Comparator,
        deliver: @escaping @Sendable (ComparisonRecord) -> Void
    ) {
        let safe = Self.isSafe(exchange.request.method)
        let answered: Bool
        if case .response = exchange.candidate { answered = true } else { answered = false }
        let wantsBaseline = self.baselineProbe != nil && safe && answered
            && (self.configuration.baselineRate >= 1 || Double.random(in: 0..<1) < self.configuration.baselineRate)
        let verification = answered ? self.configuration.verifications[exchange.route] : nil
        // Most comparisons match and ask for nothing more: nothing to classify, no work to queue.
        if record.discrepancies.isEmpty && !wantsBaseline && verification == nil {
            deliver(record)
            return
        }
        let versionsDiffer = self.versionsDiffer(exchange)
        let work = Work(
            record: record, exchange: exchange, comparator: comparator, deliver: deliver,
            wantsBaseline: wantsBaseline,
            wantsRecheck: self.legacyProbe != nil && self.configuration.recheck && safe && record.outcome == .mismatch && !versionsDiffer,
            verification: verification,
            versionsDiffer: versionsDiffer
        )
        guard work.wantsBaseline || work.wantsRecheck || work.verification != nil else {
            deliver(self.classifyWithoutIO(work))
            return
        }
        switch self.queue.push(work) {
        case .queued:
            return
        case .dropped:
            Self.evidence("queue", "skipped_busy").increment()
            deliver(self.classifyWithoutIO(work))
        }
    }

    // MARK: Service

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                while let work = await self.queue.next() {
                    if running >= max(1, self.configuration.maxInFlight) {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.process(work) }
                    running += 1
                }
            }
        } onGracefulShutdown: {
            // Queued work still runs (the queue hands out what it holds); new work is classified at once.
            self.queue.finish()
        }
    }

    // MARK: Classification

    func classifyWithoutIO(_ work: Work) -> ComparisonRecord {
        var record = work.record
        record.discrepancies = DiscrepancyClassifier.classify(
            record.discrepancies, route: work.exchange.route,
            evidence: .init(versionsDiffer: work.versionsDiffer), noiseModel: self.noiseModel
        )
        return record
    }

    func process(_ work: Work) async {
        var record = work.record
        let exchange = work.exchange
        var evidence = DiscrepancyClassifier.Evidence(versionsDiffer: work.versionsDiffer)
        let rules = work.comparator.ruleSet.routeRules(
            route: exchange.route, method: exchange.request.method.rawValue, path: exchange.request.path
        )
        if work.wantsBaseline, let probe = self.baselineProbe {
            do {
                let (baseline, _) = try await probe.fetch(exchange.request, purpose: "baseline")
                let changes = work.comparator.compare(legacy: exchange.legacy, candidate: baseline, rules: rules, grpcMethod: exchange.request.path).discrepancies
                evidence.baseline = ChangedPaths(changes)
                self.noiseModel.observe(route: exchange.route, noisyFields: Set(changes.map(\.field)))
                Self.evidence("baseline", "ok").increment()
            } catch {
                Self.evidence("baseline", "error").increment()
                self.logger.debug("noise baseline read failed", metadata: ["route": "\(exchange.route)", "error": "\(error)"])
            }
        }
        record.discrepancies = DiscrepancyClassifier.classify(record.discrepancies, route: exchange.route, evidence: evidence, noiseModel: self.noiseModel)

        if work.wantsRecheck, let probe = self.legacyProbe, record.discrepancies.contains(where: { $0.classification == .regression }) {
            try? await Task.sleep(for: self.configuration.recheckDelay)
            do {
                let (again, _) = try await probe.fetch(exchange.request, purpose: "recheck")
                let changes = work.comparator.compare(legacy: exchange.legacy, candidate: again, rules: rules, grpcMethod: exchange.request.path).discrepancies
                evidence.recheck = ChangedPaths(changes)
                record.discrepancies = DiscrepancyClassifier.classify(
                    record.discrepancies, route: exchange.route, evidence: evidence, noiseModel: self.noiseModel
                )
                Self.evidence("recheck", "ok").increment()
            } catch {
                Self.evidence("recheck", "error").increment()
            }
        }
        work.deliver(record)

        if let verification = work.verification {
            await self.verify(work, verification)
        }
    }

    // MARK: Write verification

    func verify(_ work: Work, _ verification: WriteVerification) async {
        let exchange = work.exchange
        guard case .response(let candidateWrite, _) = exchange.candidate else { return }
        guard (200..<300).contains(Int(exchange.legacy.status.code)), (200..<300).contains(Int(candidateWrite.status.code)) else {
            Self.evidence("verify", "skipped_write_failed").increment()
            return
        }
        guard let legacyProbe = self.legacyProbe, let candidateProbe = self.candidateProbe else { return }
        guard let path = Self.followUpPath(verification, exchange: exchange) else {
            Self.evidence("verify", "skipped_no_id").increment()
            self.logger.info("write verification: could not find the read's parameters", metadata: ["route": "\(exchange.route)"])
            return
        }
        if verification.delay > .zero { try? await Task.sleep(for: verification.delay) }
        let method = verification.read.method == "*" ? HTTPMethod.GET : HTTPMethod(rawValue: verification.read.method)
        var headers = HTTPHeaders()
        for name in ["accept", "authorization", "x-request-id"] {
            for value in exchange.request.headers[name] { headers.add(name: name, value: value) }
        }
        let read = RequestSnapshot(method: method, uri: path, headers: headers)
        async let legacyRead = Self.attempt { try await legacyProbe.fetch(read, purpose: "verify") }
        async let candidateRead = Self.attempt { try await candidateProbe.fetch(read, purpose: "verify") }
        let (l, c) = await (legacyRead, candidateRead)
        guard case .success(let legacy) = l else {
            Self.evidence("verify", "legacy_error").increment()
            return
        }
        let candidate: CandidateResult
        switch c {
        case .success(let r): candidate = .response(r.response, latency: r.latency)
        case .failure(let error): candidate = .failed(reason: "\(error)", latency: .zero)
        }
        let follow = Exchange(
            requestID: exchange.requestID,
            route: method.rawValue + verification.read.name.drop { $0 != " " },
            request: read,
            legacy: legacy.response,
            legacyLatency: legacy.latency,
            candidate: candidate,
            runID: exchange.runID,
            linkedComparisonID: exchange.id
        )
        var record = work.comparator.compare(follow)
        record.discrepancies = DiscrepancyClassifier.classify(
            record.discrepancies, route: follow.route, evidence: .init(versionsDiffer: false), noiseModel: nil
        )
        Self.evidence("verify", "ok").increment()
        work.deliver(record)
    }

    /// The follow-up read's path, with every `{param}` filled from the write's path or legacy's response.
    static func followUpPath(_ verification: WriteVerification, exchange: Exchange) -> String? {
        let writeParameters = (try? RouteTemplate(parsing: exchange.route))?.match(
            method: exchange.request.method.rawValue, path: exchange.request.path
        ) ?? [:]
        var body: JSONValue?
        func fromBody(_ pointer: JSONPointer) -> String? {
            if body == nil {
                body = exchange.legacy.body.withUnsafeReadableBytes { try? JSONParser.parse($0) }
            }
            switch body?.value(at: pointer) {
            case .string(let s): return s
            case .number(let n): return n.description
            default: return nil
            }
        }
        var path = ""
        for segment in verification.read.segments {
            path += "/"
            switch segment {
            case .literal(let literal):
                path += literal
            case .parameter(let name):
                let value: String?
                switch verification.source {
                case .pathParameter(let p): value = writeParameters[p].map(String.init)
                case .responseBody(let pointer): value = fromBody(pointer)
                case .automatic: value = writeParameters[name].map(String.init) ?? fromBody(JSONPointer(tokens: [name]))
                }
                guard let value, !value.isEmpty else { return nil }
                path += value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
            }
        }
        return path.isEmpty ? "/" : path
    }

    // MARK: Evidence without I/O

    /// Whether legacy and candidate answered about different versions of the resource.
    func versionsDiffer(_ exchange: Exchange) -> Bool {
        guard case .response(let candidate, _) = exchange.candidate else { return false }
        for name in self.configuration.versionHeaders {
            if let l = exchange.legacy.headers.first(name: name), let c = candidate.headers.first(name: name), l != c {
                return true
            }
        }
        if let pointer = self.configuration.versionPointer {
            let l = exchange.legacy.body.withUnsafeReadableBytes { try? JSONParser.parse($0) }?.value(at: pointer)
            let c = candidate.body.withUnsafeReadableBytes { try? JSONParser.parse($0) }?.value(at: pointer)
            if let l, let c, l != c { return true }
        }
        return false
    }

    static func isSafe(_ method: HTTPMethod) -> Bool {
        method == .GET || method == .HEAD || method == .OPTIONS
    }

    static func attempt<T: Sendable>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// `tapcompare_classification_evidence_total{kind,result}`: the label set is small and fixed, so each handle
    /// is made once and reused.
    static func evidence(_ kind: String, _ result: String) -> Counter {
        let key = kind + "/" + result
        if let counter = self.evidenceCounters.withLockedValue({ $0[key] }) { return counter }
        let counter = Counter(label: "tapcompare_classification_evidence_total", dimensions: [("kind", kind), ("result", result)])
        self.evidenceCounters.withLockedValue { $0[key] = counter }
        return counter
    }

    private static let evidenceCounters = NIOLockedValueBox<[String: Counter]>([:])
}
