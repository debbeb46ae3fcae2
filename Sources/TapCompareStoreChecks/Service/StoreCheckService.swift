import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// Checks the stores a mirrored write landed in: after both writes answered, reads each configured store on both
/// sides (legacy's production store, the candidate's sister store), turns what it found into JSON, compares it
/// with the diff engine and the store's rules, and records one comparison per store, linked to the write.
///
/// Off the request path and bounded: a sample of the writes within a budget of checks per second is checked
/// (``CheckBudget``), checks wait in a queue of ``StoreChecksConfiguration/queueCapacity`` and at
/// most ``StoreChecksConfiguration/maxInFlight`` run at once, each read within ``StoreChecksConfiguration/timeout``.
/// A check that cannot run (queue full, shutting down, the write failed, no id to read by) is still recorded, as
/// `skipped` with its reason; a store that is down costs only its own checks (`legacy_error` is recorded as
/// skipped, `candidate_error` as a candidate error), each counted by store, side and reason.
///
/// Run it as a `Service` after the ledger writer (it delivers into it) and before the comparison stage (which
/// submits to it), so a graceful shutdown drains the checks already queued.
public final class StoreCheckService: Service, Sendable {
    struct Work: Sendable {
        var exchange: Exchange
        var check: StoreCheck
        var definition: StoreDefinition
        var comparator: TapCompareComparison.Comparator
        var deliver: @Sendable (ComparisonRecord) -> Void
    }

    public let configuration: StoreChecksConfiguration
    let readers: [String: [StoreSide: any StoreSideReader]]
    let logger: Logger
    let metrics = StoreCheckMetrics()
    /// Legacy's event shapes per `redis_stream` store, learned from the events the checks read.
    let shapes = EventShapes()
    /// Which writes are checked (`stores_sample_rate`, `stores_max_per_second`).
    private let budget: Mutex<CheckBudget>
    /// Checks waiting for one of the ``StoreChecksConfiguration/maxInFlight`` slots.
    private let queue: BoundedQueue<Work>

    /// Creates a reader for each side of every store a check uses (connections open on first use).
    /// - Throws: ``StoreConfigurationError`` for a connection string of the wrong form for its kind, naming the store
    ///   and side (`stores.comments_db.legacy: …`).
    public init(configuration: StoreChecksConfiguration, logger: Logger) throws(StoreConfigurationError) {
        self.configuration = configuration
        self.logger = logger
        let used = Set(configuration.checks.values.flatMap { $0.map(\.store) })
        var readers: [String: [StoreSide: any StoreSideReader]] = [:]
        for name in used {
            guard let definition = configuration.stores[name] else {
                throw StoreConfigurationError("a check reads store '\(name)', which stores: does not declare")
            }
            var sides: [StoreSide: any StoreSideReader] = [:]
            for side in StoreSide.allCases {
                let connection = side == .legacy ? definition.legacy : definition.candidate
                do throws(StoreConfigurationError) {
                    switch definition.kind {
                    case .postgres:
                        sides[side] = try PostgresStoreReader(
                            url: connection, maxConnections: configuration.maxConnectionsPerStore, timeout: configuration.timeout, logger: logger
                        )
                    case .sqlite:
                        sides[side] = SQLiteStoreReader(path: connection, logger: logger)
                    case .redis, .redisStream:
                        sides[side] = try RedisStoreReader(url: connection)
                    case .memcached:
                        sides[side] = try MemcachedStoreReader(address: connection)
                    }
                } catch {
                    // The configuration loader names these with their line (StoreDefinition.checkConnection); a
                    // configuration built in code still learns which store and side.
                    throw StoreConfigurationError("stores.\(name).\(side.rawValue): \(error.description)")
                }
            }
            readers[name] = sides
        }
        self.readers = readers
        self.budget = Mutex(CheckBudget(sampleRate: configuration.sampleRate, maxPerSecond: configuration.maxPerSecond))
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
    }

    // MARK: Submitting

    /// Queues the store checks of `exchange`'s route, if it has any. Returns at once.
    ///
    /// - Parameters:
    ///   - comparator: compares what the stores hold, with the rules blocks that name each store.
    ///   - deliver: where each store comparison goes (the ledger).
    public func submit(_ exchange: Exchange, comparator: TapCompareComparison.Comparator, deliver: @escaping @Sendable (ComparisonRecord) -> Void) {
        guard let checks = self.configuration.checks[exchange.route], !checks.isEmpty else { return }
        let decision = self.budget.withLock { $0.decide(checks: checks.count, now: ContinuousClock.now, draw: Double.random(in: 0..<1)) }
        guard decision == .check else {
            // Counted, not recorded: a row per write left out would cost the ledger what the budget saves.
            let result = decision == .notSampled ? "skipped_not_sampled" : "skipped_budget"
            for check in checks { self.metrics.checked(store: check.store, result: result) }
            return
        }
        for check in checks {
            guard let definition = self.configuration.stores[check.store] else { continue }
            let work = Work(exchange: exchange, check: check, definition: definition, comparator: comparator, deliver: deliver)
            switch self.queue.push(work) {
            case .queued:
                continue
            case .dropped(.full):
                deliver(self.skipped(work, reason: "store_check_queue_full", result: "skipped_queue_full"))
            case .dropped(.finished):
                deliver(self.skipped(work, reason: SkipReason.shuttingDown.rawValue, result: "skipped_shutting_down"))
            }
        }
    }

    // MARK: Service

    public func run() async throws {
        await withTaskGroup(of: Void.self) { background in
            // Connection pools that need a run loop (PostgreSQL) run until the checks are done.
            for sides in self.readers.values {
                for reader in sides.values { background.addTask { await reader.run() } }
            }
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    var running = 0
                    while let work = await self.queue.next() {
                        if running >= max(1, self.configuration.maxInFlight) {
                            await group.next()
                            running -= 1
                        }
                        group.addTask { work.deliver(await self.check(work)) }
                        running += 1
                    }
                }
            } onGracefulShutdown: {
                // Queued checks still run (the queue hands out what it holds); new ones are recorded as skipped.
                self.queue.finish()
            }
            for sides in self.readers.values {
                for reader in sides.values { await reader.close() }
            }
            background.cancelAll()
        }
    }

    // MARK: One check

    /// Reads both sides and compares them; always returns the record to keep (matched, mismatched, skipped or
    /// a store error).
    func check(_ work: Work) async -> ComparisonRecord {
        let exchange = work.exchange
        let candidateWrite: ResponseSnapshot
        switch exchange.candidate {
        case .response(let response, _): candidateWrite = response
        case .failed(let reason, _):
            // The candidate's write never answered: its stores hold nothing to check, and the HTTP comparison
            // already records the failure.
            return self.skipped(work, reason: "candidate_write_failed: \(reason)", result: "skipped_candidate_failed")
        case .timedOut:
            return self.skipped(work, reason: "candidate_write_timed_out", result: "skipped_candidate_failed")
        case .skipped(let reason):
            return self.skipped(work, reason: "candidate_not_called: \(reason.rawValue)", result: "skipped_candidate_not_called")
        }
        guard (200..<300).contains(Int(exchange.legacy.status.code)), (200..<300).contains(Int(candidateWrite.status.code)) else {
            // A write refused by either side (4xx, 5xx) changed nothing that both should hold.
            return self.skipped(
                work, reason: "write_failed: legacy \(exchange.legacy.status.code), candidate \(candidateWrite.status.code)", result: "skipped_write_failed"
            )
        }
        let since = exchange.startedAt
        var requests: [StoreSide: StoreReadRequest] = [:]
        var legacyValues = StoreCheckValues(exchange: exchange, side: .legacy, comparator: work.comparator)
        for side in StoreSide.allCases {
            var values = StoreCheckValues(exchange: exchange, side: side, comparator: work.comparator)
            defer { if side == .legacy { legacyValues = values } }
            switch values.request(for: work.check, stream: work.definition.stream, since: since) {
            case .success(let request): requests[side] = request
            case .failure(let missing):
                return self.skipped(work, reason: "store_check_no_value: \(missing) not found in the \(side.rawValue) write", result: "skipped_no_value")
            }
        }
        guard let sides = self.readers[work.definition.name], let legacyReader = sides[.legacy], let candidateReader = sides[.candidate],
              let legacyRequest = requests[.legacy], let candidateRequest = requests[.candidate] else {
            return self.skipped(work, reason: "store_check_unconfigured", result: "skipped_unconfigured")
        }
        let timeout = self.configuration.timeout
        async let legacyRead = Self.timedRead(legacyReader, legacyRequest, timeout: timeout)
        async let candidateRead = Self.timedRead(candidateReader, candidateRequest, timeout: timeout)
        let (legacy, candidate) = await (legacyRead, candidateRead)
        var record = self.record(work, legacy: legacy, candidate: candidate)
        if let command = work.check.consumerCheck, case .success(.found(let event)) = candidate.0 {
            await self.runConsumerCheck(command, event: event, work: work, record: &record)
        }
        if let version = work.check.version, !record.discrepancies.isEmpty, case .success(.found(let first)) = legacy.0 {
            let writtenVersion = work.check.versionFrom.flatMap { legacyValues.value($0) }
            if await self.legacyVersionMoved(
                first.value(at: version), written: writtenVersion, version: version, reader: legacyReader, request: legacyRequest
            ) {
                // A production write to the same record raced the check: what differs is not the candidate's doing.
                record.discrepancies = record.discrepancies.map { var d = $0; d.classification = .race; return d }
                self.metrics.checked(store: work.definition.name, result: "race")
            }
        }
        return record
    }

    /// Runs `consumer_check:` on the candidate's event: an unreadable event is a `consumer_incompatible`
    /// discrepancy at the root, with what the command said.
    func runConsumerCheck(_ command: [String], event: JSONValue, work: Work, record: inout ComparisonRecord) async {
        switch await ConsumerCheck(command: command).run(event: event.serialized(), timeout: self.configuration.timeout) {
        case .readable:
            return
        case .unreadable(let status, let message):
            record.discrepancies.append(Discrepancy(
                path: "", field: "$", kind: .consumerIncompatible,
                legacyValue: JSONValue.quoted("readable (exit 0)"),
                candidateValue: JSONValue.quoted("exit \(status)" + (message.isEmpty ? "" : ": \(message)"))
            ))
            record.outcome = .mismatch
        case .failed(let reason, let message):
            self.metrics.failed(store: work.definition.name, side: .candidate, reason: reason)
            self.logger.warning("store check: consumer_check could not judge an event", metadata: ["store": "\(work.definition.name)", "store.error": "\(message)"])
        }
    }

    /// Whether legacy's record changed under the check: its version differs from the one legacy's write answered,
    /// or it moves between the read and a second read `recheckDelay` later.
    func legacyVersionMoved(
        _ read: JSONValue?, written: JSONValue?, version: JSONPointer, reader: any StoreSideReader, request: StoreReadRequest
    ) async -> Bool {
        func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return RedisStoreReader.same(a, b)
        }
        if let written, !same(read, written) { return true }
        try? await Task.sleep(for: self.configuration.recheckDelay)
        switch try? await reader.read(request, timeout: self.configuration.timeout) {
        case .found(let again): return !same(read, again.value(at: version))
        case .missing: return true  // deleted since the first read: someone else wrote
        case nil: return false  // the second read failed: no evidence of a race
        }
    }

    static func timedRead(_ reader: any StoreSideReader, _ request: StoreReadRequest, timeout: Duration) async -> (Result<StoreReading, StoreReadError>, Duration) {
        let start = ContinuousClock.now
        do {
            let reading = try await reader.read(request, timeout: timeout)
            return (.success(reading), .now - start)
        } catch {
            return (.failure(error), .now - start)
        }
    }

    func record(
        _ work: Work,
        legacy: (Result<StoreReading, StoreReadError>, Duration),
        candidate: (Result<StoreReading, StoreReadError>, Duration)
    ) -> ComparisonRecord {
        let store = work.definition.name
        var record = self.base(work)
        record.legacyLatency = legacy.1
        record.candidateLatency = candidate.1
        let legacyReading: StoreReading
        switch legacy.0 {
        case .success(let reading): legacyReading = reading
        case .failure(let error):
            // Nothing to compare against: the check is skipped, and the store's outage is counted.
            self.metrics.failed(store: store, side: .legacy, reason: error.reason)
            self.metrics.checked(store: store, result: "legacy_error")
            self.logger.debug("store check: legacy store read failed", metadata: ["store": "\(store)", "store.error": "\(error)"])
            record.outcome = .skipped
            record.reason = "legacy_store_error: \(error.reason): \(error.message)"
            return record
        }
        let candidateReading: StoreReading
        switch candidate.0 {
        case .success(let reading): candidateReading = reading
        case .failure(let error):
            self.metrics.failed(store: store, side: .candidate, reason: error.reason)
            self.metrics.checked(store: store, result: "candidate_error")
            record.legacyStatus = legacyReading.status
            record.legacyBody = legacyReading.body
            record.outcome = error.reason == "timeout" ? .candidateTimeout : .candidateError
            record.reason = "candidate_store_error: \(error.reason): \(error.message)"
            return record
        }
        record.legacyStatus = legacyReading.status
        record.candidateStatus = candidateReading.status
        record.legacyBody = legacyReading.body
        record.candidateBody = candidateReading.body
        switch (legacyReading, candidateReading) {
        case (.missing, .missing):
            self.metrics.checked(store: store, result: "missing_both")
            record.outcome = .match
        case (.found(let value), .missing):
            record.discrepancies = [Discrepancy(path: "", field: "$", kind: .missingInCandidate, legacyValue: value.serialized(), candidateValue: nil)]
        case (.missing, .found(let value)):
            record.discrepancies = [Discrepancy(path: "", field: "$", kind: .missingInLegacy, legacyValue: nil, candidateValue: value.serialized())]
            if work.definition.kind == .redisStream {
                record.discrepancies += self.consumerIncompatibilities(work, of: value)
            }
        case (.found(let legacyEvent), .found(let candidateEvent)) where work.definition.kind == .redisStream:
            // Legacy's event teaches the shape its consumers read; the candidate's must fit it.
            self.shapes.learn(store: store, legacyEvent)
            if let skip = self.compare(work, legacyReading, candidateReading, into: &record) { return skip }
            record.discrepancies += self.consumerIncompatibilities(work, of: candidateEvent)
        case (.found, .found):
            if let skip = self.compare(work, legacyReading, candidateReading, into: &record) { return skip }
        }

        record.outcome = record.discrepancies.isEmpty ? .match : .mismatch
        if !(legacyReading == .missing && candidateReading == .missing) {
            self.metrics.checked(store: store, result: record.outcome == .match ? "match" : "mismatch")
        }
        return record
    }

    /// What legacy's consumers could not read in a candidate event: by the check's JSON Schema when it has one,
    /// else by the shape learned from legacy's events.
    func consumerIncompatibilities(_ work: Work, of event: JSONValue) -> [Discrepancy] {
        if let schema = work.check.schema { return schema.violations(of: event) }
        return self.shapes.incompatibilities(store: work.definition.name, of: event)
    }

    /// Compares two found values with the diff engine under the store's rules; returns the record to keep instead
    /// when they cannot be compared (too large).
    func compare(_ work: Work, _ legacy: StoreReading, _ candidate: StoreReading, into record: inout ComparisonRecord) -> ComparisonRecord? {
        let exchange = work.exchange
        let store = work.definition.name
        let rules = work.comparator.ruleSet.routeRules(
            route: exchange.route, method: exchange.request.method.rawValue, path: exchange.request.path, store: store
        )
        let result = work.comparator.compare(legacy: legacy.snapshot, candidate: candidate.snapshot, rules: rules)
        if let skip = result.skipReason {
            self.metrics.checked(store: store, result: "skipped_too_large")
            record.outcome = .skipped
            record.reason = skip
            return record
        }
        record.discrepancies = result.discrepancies
        return nil
    }

    /// The record of a store check before its result: the write's request id and route, the store's name, a link
    /// to the write's own comparison.
    func base(_ work: Work) -> ComparisonRecord {
        let exchange = work.exchange
        return ComparisonRecord(
            id: UUID.v7(), recordedAt: Date(), requestID: exchange.requestID, method: exchange.request.method.rawValue,
            route: Self.routeName(write: exchange.route, store: work.definition.name), path: exchange.request.uri,
            legacyStatus: nil, candidateStatus: nil, legacyLatency: nil, candidateLatency: nil, outcome: .match,
            runID: exchange.runID, linkedComparisonID: exchange.id, store: work.definition.name
        )
    }

    func skipped(_ work: Work, reason: String, result: String) -> ComparisonRecord {
        self.metrics.checked(store: work.definition.name, result: result)
        var record = self.base(work)
        record.outcome = .skipped
        record.reason = reason
        return record
    }

    /// `POST /api/v1/comments @comments_db`: the route a store comparison is reported under, one per write route
    /// and store (the rows of the migration's write matrix).
    public static func routeName(write route: String, store: String) -> String { "\(route) @\(store)" }
}

extension StoreReading {
    /// 200 when found, 404 when not: the store's answer in the ledger's status columns.
    var status: Int {
        switch self {
        case .found: return 200
        case .missing: return 404
        }
    }

    /// The JSON text kept as the side's sample (redacted by the ledger like any body).
    var body: ByteBuffer? {
        guard case .found(let value) = self else { return nil }
        return ByteBuffer(string: value.serialized())
    }

    /// What the diff engine compares: the value as a JSON answer.
    var snapshot: ResponseSnapshot {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        return ResponseSnapshot(status: .ok, headers: headers, body: self.body ?? ByteBuffer())
    }
}

extension StoreCheckService {
    /// Runs the store checks of `exchange`'s route now and returns their comparisons, for a caller that waits
    /// for them (a replay's verdict must include them) instead of queueing. The service must be running (its
    /// PostgreSQL pools do).
    public func checkNow(_ exchange: Exchange, comparator: TapCompareComparison.Comparator) async -> [ComparisonRecord] {
        guard let checks = self.configuration.checks[exchange.route], !checks.isEmpty else { return [] }
        var records: [ComparisonRecord] = []
        for check in checks {
            guard let definition = self.configuration.stores[check.store] else { continue }
            records.append(await self.check(Work(exchange: exchange, check: check, definition: definition, comparator: comparator, deliver: { _ in })))
        }
        return records
    }
}
