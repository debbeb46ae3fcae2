import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC

/// Replays captured exchanges against a candidate (and optionally a live legacy), compares each with the diff
/// engine and aggregates a ``ReplaySummary``.
///
/// At most ``ReplayConfiguration/concurrency`` requests are in flight, started when the ``ReplaySchedule`` says
/// (``ReplayConfiguration/pacing``). Comparisons run in the workers, which fold their results into the summary.
public struct Replayer: Sendable {
    /// One captured exchange, ready to send or already skipped.
    public struct Item: Sendable {
        public var captureIndex: Int
        public var exchange: Exchange
        public var skipReason: SkipReason?
    }

    public let configuration: ReplayConfiguration
    private let comparator: any ReplayComparing
    private let sink: (any ComparisonRecordSink)?
    private let sinkIsBusy: (@Sendable () -> Bool)?
    private let logger: Logger
    /// Learned noise (from the capture, see ``CaptureNoiseLearner``), applied to comparisons without a baseline.
    public var noiseModel: NoiseModel?
    /// Comparisons made after each replayed exchange (store checks of writes), `nil` for none.
    public var followUp: (any ReplayFollowUp)?

    public init(
        configuration: ReplayConfiguration,
        comparator: any ReplayComparing,
        sink: (any ComparisonRecordSink)? = nil,
        sinkIsBusy: (@Sendable () -> Bool)? = nil,
        logger: Logger = Logger(label: "tapcompare.replay")
    ) {
        self.sinkIsBusy = sinkIsBusy
        self.configuration = configuration
        self.comparator = comparator
        self.sink = sink
        self.logger = logger
    }

    /// Methods replayed without `--include-writes`.
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    /// Whether a request only reads, so it is replayed without `--include-writes` and without the shadow header: a
    /// safe HTTP method, or a gRPC call (always POST) whose method `grpc.read_methods` names.
    ///
    /// Not whether `serve` would mirror it: a route with `mirror_writes: true` lets `serve` mirror a write, marked
    /// with the shadow header, and its replay is a write too, as an HTTP write on such a route is.
    func isRead(_ request: RequestSnapshot) -> Bool {
        if Self.safeMethods.contains(request.method.rawValue) { return true }
        guard let policy = self.configuration.grpcMethods,
              let type = request.headers.first(name: "content-type"), GRPCContentType.isGRPC(type)
        else { return false }
        return policy.isRead(path: request.path)
    }

    /// Turns capture records into items, deciding which are skipped.
    /// - Throws: ``ReplayError`` naming the file and line of a record that cannot be replayed.
    public func prepare(_ records: [(record: CaptureRecord, file: String, line: Int)]) throws(ReplayError) -> [Item] {
        var items: [Item] = []
        items.reserveCapacity(records.count)
        for (index, entry) in records.enumerated() {
            var exchange: Exchange
            do {
                exchange = try entry.record.exchange()
            } catch {
                throw .unreadableCapture("\(error.located(file: entry.file, line: entry.line))")
            }
            exchange.runID = self.configuration.runID
            var skip: SkipReason?
            if exchange.request.isBodyTruncated {
                skip = SkipReason("request_body_truncated")
            } else if !self.configuration.includeWrites, !self.isRead(exchange.request) {
                skip = .unsafeMethod
            }
            items.append(Item(captureIndex: index, exchange: exchange, skipReason: skip))
        }
        return items
    }

    /// Replays the items and returns the summary. Never throws: failures of single requests are results.
    ///
    /// Requests are sent when the ``ReplaySchedule`` says (open loop: not when the previous one answered), at
    /// most ``ReplayConfiguration/concurrency`` at once. A request whose due time finds every slot taken (or the
    /// ledger's queue full) waits and is counted as a late start, its wait added to its corrected latency.
    /// Workers fold their own results into the summary (under a lock), so a slow schedule still reports and
    /// records each comparison as it completes.
    /// - Parameter stop: when it is stopped, no further request is started; those in flight are counted.
    public func run(_ items: [Item], progress: ReplayProgress? = nil, stop: ReplayStopSignal? = nil) async -> ReplaySummary {
        // With a live legacy each worker has up to three calls in flight (candidate, legacy, legacy's baseline
        // read), and candidate and legacy may be one host.
        let client = ReplayClient(
            connectionsPerHost: self.configuration.concurrency * (self.configuration.legacy == nil ? 1 : 3),
            timeout: self.configuration.timeout,
            connectTimeout: self.configuration.connectTimeout,
            maxResponseBytes: self.configuration.maxResponseBytes,
            targets: [self.configuration.candidate] + (self.configuration.legacy.map { [$0] } ?? [])
        )
        let summary = NIOLockedValueBox(ReplaySummary())
        let liveLegacy = self.configuration.legacy != nil
        let sink = self.sink
        @Sendable func fold(_ records: [ComparisonRecord], index: Int, uri: String, lag: Duration, rewrites: ReplayRequestRewrite.Counts = .init()) {
            summary.withLockedValue { s in
                for record in records { s.add(record, captureIndex: index, uri: uri, scheduleLag: lag, liveLegacy: liveLegacy) }
                s.rewrites.add(rewrites)
            }
            for record in records {
                sink?.record(record)
                let failing = record.outcome == .candidateError || record.outcome == .candidateTimeout
                    || (record.outcome == .mismatch && record.discrepancies.contains { $0.classification == .regression })
                progress?.completed(failing: failing)
            }
        }
        // Skipped exchanges are counted once, however many passes a loop makes.
        for item in items {
            if let reason = item.skipReason {
                fold([self.skippedRecord(item.exchange, reason: reason)], index: item.captureIndex, uri: item.exchange.request.uri, lag: .zero)
            }
        }
        let toSend = items.filter { $0.skipReason == nil }
        var schedule = ReplaySchedule(
            offsets: Self.offsets(toSend), pacing: self.configuration.pacing,
            loops: self.configuration.loops, duration: self.configuration.duration
        )
        summary.withLockedValue { $0.load.targetRate = schedule.targetRate }
        let limit = max(1, self.configuration.concurrency)
        // Requests really in flight (a finished worker leaves at once), and what the scheduler sleeps on: a worker
        // finishing, a stop, or a due time (see ``ReplayWakeUp``; a signal, not a work queue, so not a
        // `BoundedQueue`: nothing is handed over, and a signal that replaces a pending one loses nothing).
        let active = NIOLockedValueBox(0)
        let wakeUp = ReplayWakeUp()
        stop?.whenStopped { wakeUp.signal() }
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        var lateStarts = 0
        var passes = 0
        var lastStart: Duration = .zero
        var lag = LatencyHistogram()
        /// Whether no further request is started: the run was asked to stop, or its task was cancelled.
        @Sendable func ending() -> Bool { stop?.isStopped == true || Task.isCancelled }
        await withDiscardingTaskGroup { group in
            // A candidate that refuses every connection would otherwise be tried for every exchange of a large
            // capture; after this many failures without a single response the rest is not sent.
            let giveUpAfter = max(32, 2 * limit)
            scheduling: while !ending(), let entry = schedule.next(elapsed: clock.now - start) {
                let item = toSend[entry.index]
                passes = max(passes, entry.cycle + 1)
                let unreachable = summary.withLockedValue { $0.responsesReceived == 0 && $0.candidateErrors + $0.candidateTimeouts >= giveUpAfter }
                if unreachable {
                    if entry.cycle == 0 {
                        let record = self.skippedRecord(item.exchange, reason: SkipReason("candidate_unreachable"))
                        fold([record], index: item.captureIndex, uri: item.exchange.request.uri, lag: .zero)
                        continue
                    }
                    break
                }
                if let due = entry.due {
                    // Woken early by a stop (or a worker finishing); the loop re-checks.
                    while !ending(), clock.now < start + due {
                        await wakeUp.wait(until: start + due)
                    }
                    if ending() { break }
                }
                var waited = false
                while active.withLockedValue({ $0 }) >= limit {
                    waited = true
                    if ending() { break scheduling }
                    await wakeUp.wait()
                }
                // The ledger's writer never blocks its callers and drops when its queue is full; a replay has no
                // client waiting, so it slows down instead of losing comparisons. The writer signals nothing when
                // its queue drains, so this one wait is a timed re-check; a stop or cancellation still ends it.
                if let busy = self.sinkIsBusy {
                    while busy() {
                        waited = true
                        if ending() { break scheduling }
                        await wakeUp.wait(until: clock.now + .milliseconds(5))
                    }
                }
                let startedAt = clock.now - start
                let late = entry.due.map { max(.zero, startedAt - $0) } ?? .zero
                if waited, entry.due != nil { lateStarts += 1 }
                lag.record(late)
                lastStart = startedAt
                sent += 1
                active.withLockedValue { $0 += 1 }
                group.addTask {
                    let (record, exchange, rewrites) = await self.replay(item.exchange, client: client)
                    var records = [record]
                    if let followUp = self.followUp, let exchange {
                        records += await followUp.records(after: exchange, comparator: self.comparator)
                    }
                    fold(records, index: item.captureIndex, uri: item.exchange.request.uri, lag: late, rewrites: rewrites)
                    active.withLockedValue { $0 -= 1 }
                    wakeUp.signal()
                }
            }
        }
        await client.shutdown()
        return summary.withLockedValue { s in
            s.load.sent = sent
            s.load.lateStarts = lateStarts
            s.load.passes = passes
            s.load.scheduleLag = lag
            s.load.sendingSeconds = lastStart.seconds
            s.load.elapsedSeconds = (clock.now - start).seconds
            s.load.interrupted = stop?.isStopped == true || Task.isCancelled
            return s
        }
    }

    /// Each item's recorded start relative to the first item's (what ``ReplaySchedule`` paces by).
    static func offsets(_ items: [Item]) -> [Duration] {
        guard let first = items.first?.exchange.startedAt else { return [] }
        return items.map { .seconds($0.exchange.startedAt.timeIntervalSince(first)) }
    }

    /// The comparison of one replayed exchange, the exchange itself when both sides answered, and what the
    /// request rewriting changed.
    private func replay(_ captured: Exchange, client: ReplayClient) async -> (ComparisonRecord, Exchange?, ReplayRequestRewrite.Counts) {
        var rewrites = ReplayRequestRewrite.Counts()
        let (record, exchange) = await self.replay(captured, client: client, rewrites: &rewrites)
        return (record, exchange, rewrites)
    }

    private func replay(_ captured: Exchange, client: ReplayClient, rewrites: inout ReplayRequestRewrite.Counts) async -> (ComparisonRecord, Exchange?) {
        var secondLegacy: CandidateResult?
        var exchange = captured
        exchange.id = UUID.v7()
        exchange.startedAt = Date()
        // What is sent: the captured request with its timestamps and tokens brought to now. The exchange
        // compared and recorded keeps the captured request (a re-signed token is never stored).
        let outgoing = self.configuration.rewrite.isEmpty
            ? captured.request
            : self.configuration.rewrite.apply(to: captured.request, recordedAt: captured.startedAt, now: exchange.startedAt, counts: &rewrites)
        var extra = self.configuration.headerOverrides
        if !self.isRead(exchange.request) {
            // One value, whatever `--header` says, as `serve` replaces any shadow header a client sent.
            let shadow = self.configuration.shadowHeader
            extra.removeAll { $0.name.lowercased() == shadow.name.lowercased() }
            extra.append(shadow)
        }
        if let legacyTarget = self.configuration.legacy {
            let request = outgoing
            let headers = extra
            let wantsBaseline = self.configuration.baseline && self.isRead(request)
            async let candidate = client.send(request, to: self.configuration.candidate, extraHeaders: headers)
            async let second: CandidateResult? = wantsBaseline ? client.send(request, to: legacyTarget, extraHeaders: headers) : nil
            let legacy = await client.send(request, to: legacyTarget, extraHeaders: headers)
            exchange.candidate = await candidate
            secondLegacy = await second
            switch legacy {
            case .response(let snapshot, let latency):
                exchange.legacy = snapshot
                exchange.legacyLatency = latency
            case .failed(let reason, _):
                return (self.skippedRecord(exchange, reason: .legacyError, detail: "legacy: \(reason)"), nil)
            case .timedOut:
                return (self.skippedRecord(exchange, reason: .legacyError, detail: "legacy timed out"), nil)
            case .skipped(let reason):
                return (self.skippedRecord(exchange, reason: reason), nil)
            }
        } else {
            // Captured while legacy failed (a capture from before serve left these out): its legacy side is the
            // proxy's own 502 or 504, nothing to hold the candidate to. Nothing is sent.
            if case .skipped(.legacyError) = captured.candidate {
                return (self.skippedRecord(exchange, reason: .legacyError, detail: "captured without legacy's answer"), nil)
            }
            exchange.candidate = await client.send(outgoing, to: self.configuration.candidate, extraHeaders: extra)
        }
        if case .skipped(let reason) = exchange.candidate {
            return (self.skippedRecord(exchange, reason: reason), nil)
        }
        var record = self.comparator.compare(exchange)
        if case .response = secondLegacy, !record.discrepancies.isEmpty {
            // Legacy against itself: what differs there is noise, whatever the candidate does at that place.
            var selfCheck = exchange
            selfCheck.candidate = secondLegacy!
            let baseline = ChangedPaths(self.comparator.compare(selfCheck).discrepancies)
            record.discrepancies = DiscrepancyClassifier.classify(
                record.discrepancies, route: record.route, evidence: .init(baseline: baseline), noiseModel: nil
            )
        } else if let model = self.noiseModel, !record.discrepancies.isEmpty {
            // No second answer for this request: fields legacy was seen changing by itself are noise.
            record.discrepancies = DiscrepancyClassifier.classify(
                record.discrepancies, route: record.route, evidence: .init(), noiseModel: model
            )
        }
        return (record, exchange)
    }

    private func skippedRecord(_ exchange: Exchange, reason: SkipReason, detail: String? = nil) -> ComparisonRecord {
        var record = ComparisonRecord(
            exchange: exchange, outcome: .skipped, reason: detail.map { "\(reason.rawValue): \($0)" } ?? reason.rawValue
        )
        record.id = UUID.v7()
        record.runID = self.configuration.runID
        return record
    }
}
