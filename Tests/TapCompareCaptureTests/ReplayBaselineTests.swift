import Foundation
import NIOHTTP1
import NIOConcurrencyHelpers
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// `--baseline`: a discrepancy where a live legacy disagrees with itself is noise, and noise does not fail CI.
@Suite struct ReplayBaselineTests {
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func legacyDisagreeingWithItselfIsNoiseNotARegression() async throws {
        let counter = NIOLockedValueBox(0)
        // Legacy stamps every answer with a fresh `served_at`; the candidate stamps its own.
        let legacy = try await ScriptedUpstream { _ in
            let n = counter.withLockedValue { c -> Int in c += 1; return c }
            return .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: "{\"id\":1,\"served_at\":\(n),\"score\":5}"))
        }
        let sameScore = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: "{\"id\":1,\"served_at\":999,\"score\":5}"))
        }
        let stringScore = try await ScriptedUpstream { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: "{\"id\":1,\"served_at\":999,\"score\":\"5\"}"))
        }

        let record = CaptureRecord(
            id: "0190c8a4-1f00-7000-8000-000000000001", requestID: "r1", route: "GET /api/v1/comments/{id}",
            startedAt: "2026-11-20T14:00:00.000Z",
            request: .init(method: "GET", uri: "/api/v1/comments/1", headers: [.init("Accept", "application/json")], body: nil, bodyLength: 0),
            legacy: .init(status: 200, headers: [], body: nil, bodyLength: 0, latencyMS: 1),
            candidate: nil
        )
        let records = Array(repeating: record, count: 5)
        let comparator = try ReplayComparators.make(rulesDirectory: nil)

        func replay(_ candidate: ScriptedUpstream, baseline: Bool) async throws -> ReplaySummary {
            var configuration = ReplayConfiguration(
                candidate: try ReplayTarget(parsing: candidate.url, flag: "--candidate"),
                legacy: try ReplayTarget(parsing: legacy.url, flag: "--legacy"), concurrency: 1, runID: "b"
            ).withTestTimeouts()
            configuration.baseline = baseline
            let replayer = Replayer(configuration: configuration, comparator: comparator)
            return await replayer.run(try replayer.prepare(records.enumerated().map { ($0.element, "b.jsonl", $0.offset + 1) }))
        }

        // Without a baseline, the volatile field fails every exchange.
        let plain = try await replay(sameScore, baseline: false)
        #expect(plain.mismatched == 5)
        // With one, it is noise: the run passes.
        let baselined = try await replay(sameScore, baseline: true)
        #expect(baselined.mismatched == 0)
        #expect(baselined.noiseOnly == 5)
        #expect(ReplayVerdict.judge(baselined, candidate: "c", maxMismatchRate: 0).exitCode == 0)
        // A real regression next to the noise still fails, and only the regression is counted as one.
        let regressed = try await replay(stringScore, baseline: true)
        #expect(regressed.mismatched == 5)
        let fields = regressed.routes["GET /api/v1/comments/{id}"]!.fields
        #expect(fields.first { $0.key.field == "$.score" }?.value.classification == .regression)
        #expect(fields.first { $0.key.field == "$.served_at" }?.value.classification == .noise)
        for upstream in [legacy, sameScore, stringScore] { try await upstream.shutdown() }
    }
}
