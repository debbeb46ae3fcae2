import Foundation
import Synchronization
import TapCompareLedger

/// A ``LedgerStore`` that forwards to a real one and counts the calls a test waits for or forbids: a service
/// started on a fresh ledger can then be shown to have looked at the schema (the event) and written nothing (the
/// check), instead of being given a fixed time to misbehave in.
final class WatchedLedgerStore: LedgerStore {
    struct Calls: Sendable {
        var schemaVersion = 0
        var migrate = 0
        var publishNoiseModel = 0
    }

    let inner: any LedgerStore
    private let counted = Mutex(Calls())

    init(_ inner: any LedgerStore) { self.inner = inner }

    /// The calls so far.
    var calls: Calls { self.counted.withLock { $0 } }

    var url: LedgerURL { self.inner.url }
    /// The inner store is run by whoever opened it; the watcher has nothing of its own to run.
    func run() async throws {}

    func migrate() async throws -> [Int] {
        self.counted.withLock { $0.migrate += 1 }
        return try await self.inner.migrate()
    }

    func schemaVersion() async throws -> Int {
        defer { self.counted.withLock { $0.schemaVersion += 1 } }
        return try await self.inner.schemaVersion()
    }

    func publishNoiseModel(_ model: LedgerNoiseModel) async throws {
        self.counted.withLock { $0.publishNoiseModel += 1 }
        try await self.inner.publishNoiseModel(model)
    }

    func insert(_ batch: [LedgerComparison]) async throws { try await self.inner.insert(batch) }
    func insert(_ batch: [LedgerComparison], mayBeStored: Bool) async throws { try await self.inner.insert(batch, mayBeStored: mayBeStored) }
    var maxConcurrentInserts: Int { self.inner.maxConcurrentInserts }
    func insertGap(_ gap: LedgerGap) async throws { try await self.inner.insertGap(gap) }
    func prune(olderThan cutoff: Date) async throws -> LedgerPruneResult { try await self.inner.prune(olderThan: cutoff) }
    func counts() async throws -> LedgerCounts { try await self.inner.counts() }
    func gaps() async throws -> [LedgerGap] { try await self.inner.gaps() }
}
