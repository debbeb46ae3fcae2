import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// Replay as load, against in-process services: open-loop pacing, the in-flight bound, coordinated-omission
/// corrected latencies, loops and interrupts. Asserts on counts and orderings, and on lower bounds a stalled
/// service imposes, never on how fast the machine is.
@Suite struct ReplayLoadTests {
    static let recordedAt = "2026-11-20T14:00:01.383Z"

    /// A captured exchange of `GET /load/n` (or another method and target) at `offsetMS` after 14:00:00Z.
    static func record(
        _ n: Int, offsetMS: Int = 0, method: String = "GET", uri: String? = nil, headers: [CaptureRecord.Header] = [], body: String? = nil,
        startedAt: String? = nil
    ) -> CaptureRecord {
        let base = Date(timeIntervalSince1970: 1_795_183_200)  // 2026-11-20T14:00:00Z
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return CaptureRecord(
            id: UUID().uuidString.lowercased(), requestID: "req-\(n)", route: "\(method) /load/{n}",
            startedAt: startedAt ?? formatter.string(from: base.addingTimeInterval(Double(offsetMS) / 1000)),
            request: .init(
                method: method, uri: uri ?? "/load/\(n)", headers: [.init("Host", "load.internal")] + headers,
                body: body.map { CaptureBody(encoding: .utf8, data: $0) }, bodyLength: body?.utf8.count ?? 0
            ),
            legacy: .init(status: 200, headers: [], body: CaptureBody(encoding: .utf8, data: "ok"), bodyLength: 2, latencyMS: 3),
            candidate: nil
        )
    }

    static func run(
        _ records: [CaptureRecord], against url: String, pacing: ReplaySchedule.Pacing, concurrency: Int,
        duration: Duration? = nil, loops: Bool = false, includeWrites: Bool = false, rewrite: ReplayRequestRewrite = .init(),
        sink: RecordingSink? = nil, stop: ReplayStopSignal? = nil
    ) async throws -> ReplaySummary {
        var configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: url, flag: "--candidate"), concurrency: concurrency, pacing: pacing,
            includeWrites: includeWrites, runID: "load-run"
        ).withTestTimeouts()
        configuration.duration = duration
        configuration.loops = loops
        configuration.rewrite = rewrite
        let replayer = Replayer(configuration: configuration, comparator: ByteComparator(), sink: sink)
        let items = try replayer.prepare(records.enumerated().map { ($0.element, "load.jsonl", $0.offset + 1) })
        return await replayer.run(items, stop: stop)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func openLoopSendsOnScheduleWithoutWaitingForAnswers() async throws {
        // 20 requests are due within 95 ms, and the service answers none until all 20 have arrived (or, for a
        // closed loop that would never send them all, until a deadline). Open loop: all are sent before the first
        // answer, however slow the machine, and none starts late.
        let gate = ArrivalGate(count: 20, deadline: ContinuousClock.now + TestTiming.scaled(.seconds(20)))
        let upstream = try await ScriptedUpstream { _ in .work { _ in await gate.arriveAndWait(); return ScriptedResponse(body: "ok") } }
        defer { Task { try? await upstream.shutdown() } }
        let records = (0..<20).map { Self.record($0) }
        let summary = try await Self.run(records, against: upstream.url, pacing: .rate(200), concurrency: 64)
        let events = upstream.events
        #expect(events.prefix(20).allSatisfy { $0.hasPrefix("request ") }, "\(events)")
        #expect(upstream.maxConcurrentRequests == 20)
        #expect(summary.load.sent == 20)
        #expect(summary.load.lateStarts == 0)
        #expect(summary.load.targetRate == 200)
        #expect(summary.judged == 20)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aFullInFlightBoundCountsLateStartsAndTheCorrectedLatencyCarriesTheStall() async throws {
        // One slot, a service that stalls `slow` on every request, ten requests due 5 ms apart: each waits for
        // the one before. The service time stays about `slow`; the latency from the scheduled time grows with
        // the queue, as a user of the stalled service would see it.
        let slow = Duration.milliseconds(100)
        let upstream = try await ScriptedUpstream { _ in .sleep(.milliseconds(100), then: ScriptedResponse(body: "ok")) }
        defer { Task { try? await upstream.shutdown() } }
        let records = (0..<10).map { Self.record($0) }
        let summary = try await Self.run(records, against: upstream.url, pacing: .rate(200), concurrency: 1)
        #expect(upstream.maxConcurrentRequests == 1)
        #expect(summary.load.sent == 10)
        #expect(summary.load.lateStarts == 9, "every request after the first found the slot taken")
        let events = upstream.events
        #expect(events == (0..<10).flatMap { ["request /load/\($0)", "response /load/\($0)"] })
        let service = try #require(summary.load.candidateService.standardPercentiles)
        let corrected = try #require(summary.load.candidateCorrected.standardPercentiles)
        #expect(service.count == 10 && corrected.count == 10)
        // Lower bounds from the stall alone: the tenth request could not start before nine answers (9 × slow),
        // and was due at 45 ms.
        #expect(corrected.max >= (slow * 10 - .milliseconds(45)).milliseconds * 0.99)
        #expect(corrected.p50 >= (slow * 5 - .milliseconds(25)).milliseconds * 0.99)
        #expect(service.p50 >= slow.milliseconds * 0.99)
        #expect(corrected.max >= service.max)
        let lag = try #require(summary.load.scheduleLag.standardPercentiles)
        #expect(lag.max >= (slow * 9 - .milliseconds(45)).milliseconds * 0.99)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func unpacedRunsAreNotCountedLate() async throws {
        let upstream = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try? await upstream.shutdown() } }
        let summary = try await Self.run((0..<30).map { Self.record($0) }, against: upstream.url, pacing: .unpaced, concurrency: 2)
        #expect(summary.load.sent == 30)
        #expect(summary.load.lateStarts == 0)
        #expect(summary.load.targetRate == nil)
        #expect(summary.load.scheduleLag.max == 0)
        #expect(summary.load.candidateCorrected == summary.load.candidateService, "no schedule: nothing to correct")
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func durationRepeatsTheCaptureAndCountsSkippedWritesOnce() async throws {
        let upstream = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try? await upstream.shutdown() } }
        let records = [Self.record(0), Self.record(1, method: "POST", body: "{}"), Self.record(2), Self.record(3)]
        // 100 requests/s for 200 ms: due at 0, 10, …, 190 ms: twenty requests, whatever the machine's speed.
        let summary = try await Self.run(records, against: upstream.url, pacing: .rate(100), concurrency: 8, duration: .milliseconds(200))
        #expect(summary.load.sent == 20)
        #expect(summary.load.passes == 7)
        #expect(summary.judged == 20)
        #expect(summary.skipped == ["unsafe_method": 1])
        #expect(upstream.requestCount == 20)
        #expect(!summary.load.interrupted)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aStopEndsALoopAndCountsWhatWasInFlight() async throws {
        let upstream = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "ok")) }
        defer { Task { try? await upstream.shutdown() } }
        let stop = ReplayStopSignal()
        let sink = RecordingSink()
        let records = (0..<3).map { Self.record($0) }
        async let summary = Self.run(records, against: upstream.url, pacing: .rate(50), concurrency: 4, loops: true, sink: sink, stop: stop)
        #expect(await upstream.waitUntil(timeout: TestTiming.scaled(.seconds(10))) { $0.requestCount >= 5 })
        stop.stop()
        let result = try await summary
        #expect(result.load.interrupted)
        #expect(result.load.sent >= 5)
        #expect(result.judged == result.load.sent, "every request sent is counted")
        #expect(sink.all.count == result.load.sent)
        #expect(upstream.requestCount == result.load.sent)
    }
}

/// Holds every arrival until `count` have arrived or `deadline` passes: a service that answers only once it has
/// seen that many requests at once.
actor ArrivalGate {
    let count: Int
    let deadline: ContinuousClock.Instant
    private var arrived = 0

    init(count: Int, deadline: ContinuousClock.Instant) {
        self.count = count
        self.deadline = deadline
    }

    func arriveAndWait() async {
        self.arrived += 1
        while self.arrived < self.count, ContinuousClock.now < self.deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
