import Foundation
import Logging
import ServiceLifecycle
import TapCompareComparison
import TapCompareCore
import TapCompareRules
import TapCompareTestSupport
import Testing

@Suite("ComparisonStage service", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ComparisonStageTests {
    static func exchange(_ n: Int, legacy: String = #"{"a":1}"#, candidate: String = #"{"a":2}"#) -> Exchange {
        var e = Fixtures.exchange(legacy: Fixtures.response(legacy), candidate: .response(Fixtures.response(candidate), latency: .zero))
        e.requestID = "req-\(n)"
        return e
    }

    static func waitFor(_ sink: RecordingSink, count: Int) async throws {
        try await eventually("\(count) records reached the sink") { sink.records.count >= count }
    }

    @Test("exchanges submitted are compared off the caller and recorded")
    func comparesAndRecords() async throws {
        let sink = RecordingSink()
        let stage = ComparisonStage(ruleSet: .empty, sink: sink, logger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await stage.run() }
            for n in 0..<50 { stage.submit(Self.exchange(n)) }
            try await Self.waitFor(sink, count: 50)
            group.cancelAll()
        }
        #expect(sink.records.count == 50)
        #expect(sink.records.allSatisfy { $0.outcome == .mismatch && $0.discrepancies.count == 1 })
    }

    @Test("over capacity an exchange is dropped, counted and recorded as skipped (queue_full)")
    func queueFull() async throws {
        let sink = RecordingSink()
        // Not running: nothing drains the queue, so the third exchange finds it full.
        let stage = ComparisonStage(ruleSet: .empty, sink: sink, configuration: .init(queueCapacity: 2), logger: Logger(label: "test"))
        for n in 0..<3 { stage.submit(Self.exchange(n)) }
        #expect(stage.queuedCount == 2)
        #expect(sink.records.count == 1)
        #expect(sink.records.first?.outcome == .skipped)
        #expect(sink.records.first?.reason == SkipReason.comparisonQueueFull.rawValue)
        #expect(sink.records.first?.requestID == "req-2")
    }

    @Test("graceful shutdown drains what is queued, then refuses new work with a reason")
    func gracefulShutdownDrains() async throws {
        let sink = RecordingSink()
        let stage = ComparisonStage(ruleSet: .empty, sink: sink, configuration: .init(queueCapacity: 100), logger: Logger(label: "test"))
        for n in 0..<20 { stage.submit(Self.exchange(n)) }
        let serviceGroup = ServiceGroup(services: [stage], logger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await serviceGroup.run() }
            // Once the service runs (its first comparison is recorded), shut down: whatever is still queued must
            // be compared.
            try await eventually("the stage is running") { !sink.records.isEmpty }
            await serviceGroup.triggerGracefulShutdown()
        }
        #expect(sink.records.filter { $0.outcome == .mismatch }.count == 20)
        stage.submit(Self.exchange(99))
        #expect(sink.records.last?.outcome == .skipped)
        #expect(sink.records.last?.reason == SkipReason.shuttingDown.rawValue)
    }

    @Test("reload swaps valid rules in; a bad set is refused and the old one stays")
    func reload() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-rules-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rules.yml")
        try "rules:\n  - route: \"*\"\n    ignore: [$.a]\n".write(to: file, atomically: true, encoding: .utf8)
        let stage = ComparisonStage(ruleSet: .empty, sink: RecordingSink(), logger: Logger(label: "test"))
        try stage.reload(rulesDirectory: directory.path)
        #expect(stage.comparator.ruleSet.rules.map(\.name) == ["* ignore $.a"])
        #expect(stage.comparator.compare(Self.exchange(1)).outcome == .match)
        try "rules:\n  - route: \"*\"\n    ignore: [a]\n".write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: RuleSetError.self) { try stage.reload(rulesDirectory: directory.path) }
        #expect(error?.description.contains("rules.yml:3:14") == true)
        #expect(stage.comparator.ruleSet.rules.map(\.name) == ["* ignore $.a"])
    }
}
