import Foundation
import Logging
import NIOHTTP1
import TapCompareComparison
import TapCompareCore

/// Replays captured exchanges against a candidate (and optionally a live legacy), compares each with the diff
/// engine and aggregates a ``ReplaySummary``.
///
/// At most ``ReplayConfiguration/concurrency`` requests are in flight, started no faster than
/// ``ReplayConfiguration/rate``. Comparisons run in the workers; results are folded into the summary and handed
/// to the ledger sink on one task, so the summary needs no lock.
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
            } else if !self.configuration.includeWrites, !Self.safeMethods.contains(exchange.request.method.rawValue) {
                skip = .unsafeMethod
            }
            items.append(Item(captureIndex: index, exchange: exchange, skipReason: skip))
        }
        return items
    }

    /// Replays the items and returns the summary. Never throws: failures of single requests are results.
    public func run(_ items: [Item], progress: ReplayProgress? = nil) async -> ReplaySummary {
        // With a live legacy each worker has up to three calls in flight (candidate, legacy, legacy's baseline
        // read), and candidate and legacy may be one host.
        let client = ReplayClient(
            connectionsPerHost: self.configuration.concurrency * (self.configuration.legacy == nil ? 1 : 3),
            timeout: self.configuration.timeout,
            connectTimeout: self.configuration.connectTimeout,
            maxResponseBytes: self.configuration.maxResponseBytes,
            targets: [self.configuration.candidate] + (self.configuration.legacy.map { [$0] } ?? [])
        )
        var summary = ReplaySummary()
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: (Int, String, [ComparisonRecord]).self) { group in
            var inFlight = 0
            var started = 0
            // A candidate that refuses every connection would otherwise be tried for every exchange of a large
            // capture; after this many failures without a single response the rest is not sent.
            let giveUpAfter = max(32, 2 * self.configuration.concurrency)
            var failuresWithoutResponse = 0
            func fold(_ result: (Int, String, ComparisonRecord)) {
                let (index, uri, record) = result
                self.sink?.record(record)
                summary.add(record, captureIndex: index, uri: uri)
                if record.outcome == .candidateError || record.outcome == .candidateTimeout { failuresWithoutResponse += 1 }
                let failing = record.outcome == .candidateError || record.outcome == .candidateTimeout
                    || (record.outcome == .mismatch && record.discrepancies.contains { $0.classification == .regression })
                progress?.completed(failing: failing)
            }
            func foldAll(_ result: (Int, String, [ComparisonRecord])) {
                let (index, uri, records) = result
                for record in records { fold((index, uri, record)) }
            }
            for item in items {
                if summary.responsesReceived == 0, failuresWithoutResponse >= giveUpAfter {
                    let reason = SkipReason("candidate_unreachable")
                    fold((item.captureIndex, item.exchange.request.uri, self.skippedRecord(item.exchange, reason: item.skipReason ?? reason)))
                    continue
                }
                if let reason = item.skipReason {
                    fold((item.captureIndex, item.exchange.request.uri, self.skippedRecord(item.exchange, reason: reason)))
                    continue
                }
                while inFlight >= max(1, self.configuration.concurrency), let result = await group.next() {
                    inFlight -= 1
                    foldAll(result)
                }
                // The ledger's writer never blocks its callers and drops when its queue is full; a replay has no
                // client waiting, so it slows down instead of losing comparisons.
                if let busy = self.sinkIsBusy {
                    while busy() { try? await Task.sleep(for: .milliseconds(5)) }
                }
                if let rate = self.configuration.rate, rate > 0 {
                    let due = start + .seconds(Double(started) / rate)
                    if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                }
                started += 1
                inFlight += 1
                group.addTask {
                    let (record, exchange) = await self.replay(item.exchange, client: client)
                    var records = [record]
                    if let followUp = self.followUp, let exchange {
                        records += await followUp.records(after: exchange, comparator: self.comparator)
                    }
                    return (item.captureIndex, item.exchange.request.uri, records)
                }
            }
            for await result in group { foldAll(result) }
        }
        await client.shutdown()
        return summary
    }

    /// The comparison of one replayed exchange, and the exchange itself when both sides answered.
    private func replay(_ captured: Exchange, client: ReplayClient) async -> (ComparisonRecord, Exchange?) {
        var secondLegacy: CandidateResult?
        var exchange = captured
        exchange.id = UUID.v7()
        exchange.startedAt = Date()
        var extra = self.configuration.headerOverrides
        if !Self.safeMethods.contains(exchange.request.method.rawValue) {
            extra.append(self.configuration.shadowHeader)
        }
        if let legacyTarget = self.configuration.legacy {
            let request = exchange.request
            let headers = extra
            let wantsBaseline = self.configuration.baseline && Self.safeMethods.contains(request.method.rawValue)
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
            exchange.candidate = await client.send(exchange.request, to: self.configuration.candidate, extraHeaders: extra)
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
