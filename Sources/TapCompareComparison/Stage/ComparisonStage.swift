import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import NIOConcurrencyHelpers
import TapCompareCore
import TapCompareRules

/// The comparison stage of `serve` and `replay`: takes exchanges from the proxy, compares them on a few worker
/// tasks, and hands the records to the ledger.
///
/// ``submit(_:)`` runs on proxy event loops, so it only takes a lock for a few instructions: the exchange goes
/// into a ``BoundedQueue`` (waking a waiting worker), and when the queue is full it is dropped, counted
/// (`tapcompare_comparison_dropped_total{reason="queue_full"}`) and recorded as skipped
/// (``SkipReason/comparisonQueueFull``) so nothing disappears silently.
///
/// The rule set can be replaced while running (``reload(rulesDirectory:)``, wired to SIGHUP by `serve`): the new
/// set is validated first and swapped in atomically; a bad set is refused and the old one stays in force.
///
/// On graceful shutdown the stage stops accepting exchanges (they are dropped with reason `shutting_down`)
/// and drains its queue for up to ``Configuration/shutdownGracePeriod``; whatever is left then is dropped and
/// counted.
public final class ComparisonStage: Service, ExchangeSink, Sendable {
    public let configuration: Configuration
    private let sink: any ComparisonRecordSink
    /// Classification and write verification, when configured; it delivers back through ``deliver(_:)``.
    private let refiner: (any ComparisonRefiner)?
    private let logger: Logger
    private let queue: BoundedQueue<Exchange>
    /// Set once, on graceful shutdown: after it, workers stop taking exchanges and the rest are dropped and counted.
    private let drainDeadline = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let comparatorBox: NIOLockedValueBox<Comparator>
    private let metrics = MetricsCache()

    /// - Parameters:
    ///   - ruleSet: the rules in force at start.
    ///   - sink: where records go (the ledger's batch writer); its `record` must not block.
    ///   - refiner: classifies each comparison (and verifies writes) before it reaches `sink`; without one every
    ///     discrepancy is recorded as a regression.
    public init(
        ruleSet: RuleSet,
        sink: any ComparisonRecordSink,
        refiner: (any ComparisonRefiner)? = nil,
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.configuration = configuration
        self.sink = sink
        self.refiner = refiner
        self.logger = logger
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
        self.comparatorBox = NIOLockedValueBox(Comparator(ruleSet: ruleSet, configuration: configuration.comparator))
    }

    /// The comparator in force (its rule set and rule counters).
    public var comparator: Comparator { self.comparatorBox.withLockedValue { $0 } }

    /// Exchanges waiting for a worker.
    public var queuedCount: Int { self.queue.count }

    // MARK: - ExchangeSink

    public func submit(_ exchange: Exchange) {
        self.handle(self.queue.push(exchange), exchange)
    }

    public func submit(contentsOf exchanges: [Exchange]) {
        for (result, exchange) in zip(self.queue.push(contentsOf: exchanges), exchanges) { self.handle(result, exchange) }
    }

    private func handle(_ result: BoundedQueuePushResult, _ exchange: Exchange) {
        switch result {
        case .queued: break
        case .dropped(.full): self.drop(exchange, reason: .comparisonQueueFull, metric: "queue_full")
        case .dropped(.finished): self.drop(exchange, reason: .shuttingDown, metric: "shutting_down")
        }
    }

    // MARK: - Rules

    /// Loads `rulesDirectory` and, if it is valid, makes it the rule set for every later comparison.
    /// - Parameters:
    ///   - rulesDirectory: the folder of rule files.
    ///   - check: the mistakes of a loaded set against what it runs with (`serve` checks the configuration's stores
    ///     and gRPC methods, as it does at start); any refuses the set. By default none.
    /// - Throws: ``RuleSetError`` listing the mistakes; the rule set in force is unchanged.
    public func reload(rulesDirectory: String, check: (RuleSet) -> [RuleDiagnostic] = { _ in [] }) throws(RuleSetError) {
        let ruleSet: RuleSet
        do throws(RuleSetError) {
            ruleSet = try RuleSetLoader.load(directory: rulesDirectory)
            let mistakes = check(ruleSet)
            guard mistakes.isEmpty else { throw RuleSetError(diagnostics: mistakes) }
        } catch {
            self.logger.error(
                "diff rules refused; the previous rules stay in force",
                metadata: ["rules.directory": "\(rulesDirectory)", "rules.errors": "\(error.diagnostics.count)", "rules.first_error": "\(error.diagnostics.first?.description ?? "")"]
            )
            throw error
        }
        self.replaceRuleSet(ruleSet)
        self.logger.info("diff rules reloaded", metadata: ["rules.directory": "\(rulesDirectory)", "rules.count": "\(ruleSet.rules.count)"])
    }

    /// Makes `ruleSet` the rule set for every later comparison (comparisons already running finish with the old one).
    public func replaceRuleSet(_ ruleSet: RuleSet) {
        let comparator = Comparator(ruleSet: ruleSet, configuration: self.configuration.comparator)
        self.comparatorBox.withLockedValue { $0 = comparator }
    }

    // MARK: - Service

    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, self.configuration.workers) {
                    group.addTask { await self.work() }
                }
            }
        } onCancelOrGracefulShutdown: {
            self.close()
        }
        // Anything still queued (cancelled, or the grace period ran out) is dropped and counted.
        for exchange in self.queue.removeAll() { self.drop(exchange, reason: .shuttingDown, metric: "shutdown_grace_period") }
    }

    /// Exchanges a worker takes from the queue at once: one lock and one look-up of the rules per batch instead of
    /// per exchange, small enough that the other workers still share a burst.
    static let batchSize = 16

    private func work() async {
        let deliver: @Sendable (ComparisonRecord) -> Void = { [self] refined in self.deliver(refined) }
        while !self.pastDrainDeadline, let batch = await self.queue.nextBatch(max: Self.batchSize) {
            let comparator = self.comparatorBox.withLockedValue { $0 }
            for (index, exchange) in batch.enumerated() {
                if index > 0 && self.pastDrainDeadline {
                    // The grace period ran out with this batch taken: counted as the queue's leftovers are.
                    for left in batch[index...] { self.drop(left, reason: .shuttingDown, metric: "shutdown_grace_period") }
                    return
                }
                let record = comparator.compare(exchange)
                if let refiner = self.refiner {
                    refiner.refine(record, exchange: exchange, comparator: comparator, deliver: deliver)
                } else {
                    self.deliver(record)
                }
            }
        }
    }

    /// Counts a finished record (after classification, so the metrics carry the final classification) and
    /// hands it to the ledger.
    private func deliver(_ record: ComparisonRecord) {
        self.count(record)
        self.sink.record(record)
    }

    /// Whether the graceful shutdown's grace period is over (never before a shutdown).
    private var pastDrainDeadline: Bool {
        guard let deadline = self.drainDeadline.withLockedValue({ $0 }) else { return false }
        return ContinuousClock.now >= deadline
    }

    /// Stops accepting exchanges (they are dropped as `shutting_down`) and starts the grace period; the workers
    /// drain the queue until it is empty or the period is over.
    private func close() {
        self.drainDeadline.withLockedValue { deadline in
            if deadline == nil { deadline = ContinuousClock.now.advanced(by: self.configuration.shutdownGracePeriod) }
        }
        self.queue.finish()
    }

    // MARK: - Counting

    private func drop(_ exchange: Exchange, reason: SkipReason, metric: String) {
        self.metrics.dropped(metric).increment()
        self.sink.record(ComparisonRecord(exchange: exchange, outcome: .skipped, reason: reason.rawValue))
    }

    private func count(_ record: ComparisonRecord) {
        self.metrics.comparisons(route: record.route, outcome: record.outcome.rawValue).increment()
        for d in record.discrepancies {
            self.metrics.discrepancies(route: record.route, kind: d.kind.rawValue, classification: d.classification.rawValue).increment()
        }
    }
}

/// Metric handles cached by label values (routes are templates, so the label sets stay small).
///
/// Keyed by a struct of the values, not an array: a look-up runs for every comparison and allocates nothing.
final class MetricsCache: Sendable {
    private struct Key: Hashable {
        var label: String
        var first: String
        var second = ""
        var third = ""
    }

    private let counters = NIOLockedValueBox<[Key: Counter]>([:])

    private func counter(_ key: Key, _ dimensions: @autoclosure () -> [(String, String)]) -> Counter {
        self.counters.withLockedValue { cache in
            if let c = cache[key] { return c }
            let c = Counter(label: key.label, dimensions: dimensions())
            cache[key] = c
            return c
        }
    }

    func comparisons(route: String, outcome: String) -> Counter {
        self.counter(Key(label: "tapcompare_comparisons_total", first: route, second: outcome), [("route", route), ("outcome", outcome)])
    }

    func discrepancies(route: String, kind: String, classification: String) -> Counter {
        self.counter(
            Key(label: "tapcompare_discrepancies_total", first: route, second: kind, third: classification),
            [("route", route), ("kind", kind), ("classification", classification)]
        )
    }

    func dropped(_ reason: String) -> Counter {
        self.counter(Key(label: "tapcompare_comparison_dropped_total", first: reason), [("reason", reason)])
    }
}
