import Foundation
import Logging
import NIOCore
import Synchronization
import TapCompareComparison
import TapCompareCore
import Testing
@testable import TapCompareStoreChecks

@Suite("which writes get their stores checked: stores_sample_rate and stores_max_per_second")
struct CheckBudgetTests {
    @Test("a sample rate checks the writes whose draw falls under it, whatever the budget")
    func sampling() {
        var budget = CheckBudget(sampleRate: 0.25, maxPerSecond: nil)
        let now = ContinuousClock.now
        #expect(budget.decide(checks: 4, now: now, draw: 0.1) == .check)
        #expect(budget.decide(checks: 4, now: now, draw: 0.25) == .notSampled)
        #expect(budget.decide(checks: 4, now: now, draw: 0.9) == .notSampled)
        var none = CheckBudget(sampleRate: 0, maxPerSecond: nil)
        #expect(none.decide(checks: 1, now: now, draw: 0) == .notSampled, "0 checks nothing")
    }

    @Test("a write takes one token per check; tokens come back at the rate, at most one second's worth")
    func tokenBucket() {
        var budget = CheckBudget(sampleRate: 1, maxPerSecond: 10)
        let start = ContinuousClock.now
        // A full second's worth to begin with: two writes of 4 checks, then 2 tokens left.
        #expect(budget.decide(checks: 4, now: start, draw: 0) == .check)
        #expect(budget.decide(checks: 4, now: start, draw: 0) == .check)
        #expect(budget.decide(checks: 4, now: start, draw: 0) == .overBudget, "a write is checked whole or not at all")
        // 0.2 s later: 2 + 2 tokens, one more write.
        #expect(budget.decide(checks: 4, now: start + .milliseconds(200), draw: 0) == .check)
        #expect(budget.decide(checks: 1, now: start + .milliseconds(200), draw: 0) == .overBudget)
        // An idle minute saves up one second's worth, not sixty.
        let later = start + .seconds(60)
        #expect(budget.decide(checks: 4, now: later, draw: 0) == .check)
        #expect(budget.decide(checks: 4, now: later, draw: 0) == .check)
        #expect(budget.decide(checks: 4, now: later, draw: 0) == .overBudget)
    }

    @Test("writes over the budget are neither queued nor recorded")
    func overBudgetWritesAreNotQueued() async throws {
        let service = try StoreCheckService(
            configuration: StoreChecksConfiguration(
                stores: ["db": StoreDefinition(name: "db", kind: .sqlite, legacy: "/nonexistent/legacy.sqlite", candidate: "/nonexistent/sister.sqlite")],
                checks: ["POST /c": [StoreCheck(store: "db", read: .key(try KeyTemplate(parsing: "c:{$.id}")))]],
                queueCapacity: 1, maxPerSecond: 3
            ),
            logger: Logger(label: "test")
        )
        let delivered = DeliveredRecords()
        for _ in 0..<5 {
            service.submit(StoreCheckSkipTests.exchange(candidate: .skipped(.notSampled)), comparator: Comparator()) { delivered.append($0) }
        }
        // The service is not running: the first write waits in the queue (capacity 1), the next two find it full
        // and are recorded as skipped; the last two are over the budget of 3 and leave nothing.
        #expect(delivered.records.map(\.reason) == ["store_check_queue_full", "store_check_queue_full"])
    }
}

final class DeliveredRecords: Sendable {
    private let storage = Mutex<[ComparisonRecord]>([])
    func append(_ record: ComparisonRecord) { self.storage.withLock { $0.append(record) } }
    var records: [ComparisonRecord] { self.storage.withLock { $0 } }
}
