import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TapCompareComparison
import TapCompareLedger

/// Publishes the learned-noise model (its thresholds and what it has learned per route) to the ledger, so
/// `report` and the UI can show which thresholds were in force and why a field without a baseline of its own
/// was classified `noise`.
///
/// Off the request path: a snapshot is taken under the model's lock and written every ``interval`` and once more
/// at shutdown. The first write waits for the ledger writer to have migrated the schema (a fresh ledger has no
/// `noise_models` table for the first milliseconds of a run). A failed write (database down) is logged, counted
/// in `tapcompare_noise_model_publish_failures_total` and retried at the next tick; nothing waits for it.
public struct NoiseModelPublisher: Service {
    /// How often the snapshot is written. Default 30 s: the model moves slowly (a window of comparisons).
    public static let defaultInterval: Duration = .seconds(30)
    /// The most estimates written per snapshot, the noisiest first; a bound on the rows of one instance.
    public static let maxEstimates = 1000

    let model: NoiseModel
    let learning: Bool
    let instance: String
    let store: any LedgerStore
    let interval: Duration
    let logger: Logger
    let failures: Counter

    /// - Parameter learning: whether a baseline source exists (`secondary:` or `noise.replay_legacy`); without one
    ///   only the thresholds are published.
    public init(model: NoiseModel, learning: Bool, instance: String, store: any LedgerStore, interval: Duration = Self.defaultInterval, logger: Logger) {
        self.model = model
        self.learning = learning
        self.instance = instance
        self.store = store
        self.interval = interval
        self.logger = logger
        self.failures = Counter(label: "tapcompare_noise_model_publish_failures_total")
    }

    /// The snapshot as it would be written now.
    public func snapshot(now: Date = Date()) -> LedgerNoiseModel {
        let c = self.model.configuration
        let estimates = self.model.estimates()
            .sorted { ($0.share, $0.noisyIn, $1.route, $1.field) > ($1.share, $1.noisyIn, $0.route, $0.field) }
            .prefix(Self.maxEstimates)
            .map { LedgerNoiseModel.Estimate(route: $0.route, field: $0.field, noisyIn: $0.noisyIn, samples: $0.samples) }
        return LedgerNoiseModel(
            instance: self.instance, updatedAt: now, learning: self.learning, minShare: c.minShare,
            minSamples: c.minSamples, window: c.window, estimates: estimates
        )
    }

    /// Writes one snapshot; returns whether it was stored.
    @discardableResult
    public func publish() async -> Bool {
        do {
            try await self.store.publishNoiseModel(self.snapshot())
            return true
        } catch {
            self.failures.increment()
            self.logger.warning("learned-noise model not published; retrying later", metadata: ["error": "\(error)"])
            return false
        }
    }

    public func run() async throws {
        let ready = await cancelWhenGracefulShutdown {
            guard await self.waitForSchema() else { return false }
            while !Task.isCancelled {
                await self.publish()
                try? await Task.sleep(for: self.interval)
            }
            return true
        }
        // Shutting down: the last snapshot, so the ledger keeps what the model knew at the end. The store is
        // still running (the service group stops services in reverse order and the store starts first). A run
        // that never saw the schema (the ledger down throughout, or a start-up that failed) has nothing to add.
        if ready { await self.publish() }
    }

    /// Returns once the ledger holds the tables the model is written to, or when cancelled. The writer owns the
    /// migrations; publishing before it ran them would fail on every fresh ledger and log a warning for nothing.
    /// Returns `false` when cancelled first.
    func waitForSchema() async -> Bool {
        while !Task.isCancelled {
            if let version = try? await self.store.schemaVersion(), version >= LedgerNoiseModel.schemaVersion { return true }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }
}
