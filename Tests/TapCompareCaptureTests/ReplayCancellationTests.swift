import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// A replay that is stopped or cancelled while its scheduler waits (for a free slot, for a due time) ends: its waits
/// are woken by the event, not polled, and a cancelled wait does not spin.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReplayCancellationTests {
    /// Five captured gRPC reads, a second apart.
    static func items(_ configuration: ReplayConfiguration) throws -> [Replayer.Item] {
        let exchange = CaptureFormatVersionTests.grpcExchange(message: [8, 7])
        let records = (0..<5).map { i in
            var record = CaptureRecord(exchange)
            record.request.method = "GET"
            record.startedAt = CaptureTime.format(Date(timeIntervalSince1970: 1_790_000_000 + Double(i)))
            return record
        }
        return try ReplayTests.items(records, configuration)
    }

    /// A candidate that takes every call and answers none until `release` completes.
    static func stalledCandidate(release: EventLoopFuture<Void>) async throws -> HTTP2TestServer {
        try await HTTP2TestServer { _, _ in
            .answer(headers: [(":status", "200"), ("content-type", "application/grpc")], data: [], trailers: [("grpc-status", "0")], hold: release)
        }
    }

    @Test func cancellingARunWaitingForASlotEndsIt() async throws {
        let release = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        defer { release.succeed() }
        let candidate = try await Self.stalledCandidate(release: release.futureResult)
        var configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(candidate.port)", flag: "--candidate"), concurrency: 1, runID: "cancel"
        ).withTestTimeouts()
        configuration.timeout = .seconds(3600)
        let replayer = Replayer(configuration: configuration, comparator: ByteComparator())
        let items = try Self.items(configuration)
        let run = Task { await replayer.run(items) }
        // The one slot is taken by a call that will not be answered: the scheduler now waits for a slot.
        try await eventually("the candidate has the first call") { candidate.requests.count == 1 }
        run.cancel()
        let summary = await run.value
        #expect(summary.load.sent == 1)
        #expect(summary.load.interrupted)
        #expect(candidate.requests.count == 1)
        try await candidate.shutdown()
    }

    @Test func stoppingARunWaitingForItsNextDueTimeEndsIt() async throws {
        let release = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        release.succeed()
        let candidate = try await Self.stalledCandidate(release: release.futureResult)
        // One request every 1,000 s: the second is due long after the suite's time limit.
        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(candidate.port)", flag: "--candidate"), concurrency: 1,
            pacing: .rate(0.001), runID: "stop"
        ).withTestTimeouts()
        let replayer = Replayer(configuration: configuration, comparator: ByteComparator())
        let stop = ReplayStopSignal()
        let items = try Self.items(configuration)
        let run = Task { await replayer.run(items, stop: stop) }
        try await eventually("the first call was answered") { candidate.requests.count == 1 }
        stop.stop()
        let summary = await run.value
        #expect(summary.load.sent == 1)
        #expect(summary.load.interrupted)
        #expect(summary.responsesReceived == 1)
        // A one-pass run stopped after 1 of its 5 exchanges gives no verdict: a CI gate must not pass on that part.
        let partial = ReplayVerdict.judge(summary, candidate: "c", maxMismatchRate: 1, expected: items.count)
        #expect(partial.exitCode == 2)
        #expect(partial.reason == "interrupted after 1 of 5 exchanges: a partial replay is no verdict; run it to the end")
        // A --loop or --duration run ends by being stopped: judged on what it did.
        #expect(ReplayVerdict.judge(summary, candidate: "c", maxMismatchRate: 1, expected: nil).exitCode == 0)
        try await candidate.shutdown()
    }
}
