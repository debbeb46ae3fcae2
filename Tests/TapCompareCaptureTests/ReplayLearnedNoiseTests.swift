import Foundation
import Logging
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

/// Replay learns noise from the capture itself: repeated reads whose recorded legacy answers differ show the
/// fields legacy changes by itself, and those do not fail CI, while a real regression still does.
@Suite struct ReplayLearnedNoiseTests {
    static let route = "GET /api/v1/comments/{id}"

    /// `count` captures of the same two reads, `spacing` apart; legacy's answers carry a fresh `request_id` each
    /// time and a stable `score`.
    static func capture(count: Int, spacing: TimeInterval) -> [(record: CaptureRecord, file: String, line: Int)] {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (0..<count).map { i in
            let id = i % 2 + 1
            let body = "{\"id\":\(id),\"request_id\":\"r-\(i)\",\"score\":\(id * 10)}"
            let record = CaptureRecord(
                id: UUID.v7().uuidString.lowercased(), requestID: "r-\(i)", route: route,
                startedAt: formatter.string(from: start.addingTimeInterval(Double(i / 2) * spacing)),
                request: .init(method: "GET", uri: "/api/v1/comments/\(id)", headers: [.init("Accept", "application/json")], body: nil, bodyLength: 0),
                legacy: .init(status: 200, headers: [.init("Content-Type", "application/json")], body: .init(encoding: .utf8, data: body), bodyLength: body.utf8.count, latencyMS: 1),
                candidate: nil
            )
            return (record, "learn.jsonl", i + 1)
        }
    }

    /// A candidate with its own request ids; `scoreOffset` plants a regression in `score`.
    static func candidate(scoreOffset: Int) async throws -> ScriptedUpstream {
        try await ScriptedUpstream { head in
            let id = Int(head.uri.split(separator: "/").last ?? "1") ?? 1
            return .respond(ScriptedResponse(
                headers: [("Content-Type", "application/json")],
                body: "{\"id\":\(id),\"request_id\":\"c-\(UUID().uuidString)\",\"score\":\(id * 10 + (id == 2 ? scoreOffset : 0))}"
            ))
        }
    }

    func replay(_ records: [(record: CaptureRecord, file: String, line: Int)], candidate: ScriptedUpstream, learn: CaptureNoiseLearner.Configuration?) async throws -> ReplayRun.Result {
        var configuration = ReplayConfiguration(candidate: try ReplayTarget(parsing: candidate.url, flag: "--candidate"), concurrency: 4, runID: "learn").withTestTimeouts()
        configuration.learnNoise = learn
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tc-learn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("capture.jsonl").path
        try CaptureFile.write(records.map(\.record), path: path)
        let run = ReplayRun(configuration: configuration, captures: [path], showProgress: false)
        return try await run.run(comparator: try ReplayComparators.make(rulesDirectory: nil), sink: nil, logger: .init(label: "test"))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func repeatedReadsTeachNoiseAndARegressionStillFails() async throws {
        let records = Self.capture(count: 60, spacing: 1)
        let same = try await Self.candidate(scoreOffset: 0)
        let planted = try await Self.candidate(scoreOffset: 1)
        defer { Task { try? await same.shutdown(); try? await planted.shutdown() } }

        // Without learning, every exchange fails on request_id.
        let plain = try await self.replay(records, candidate: same, learn: nil)
        #expect(plain.summary.mismatched == 60)
        #expect(plain.verdict.exitCode == 1)

        // With it: 58 pairs (29 per read) teach that request_id is noise; the run passes.
        let learned = try await self.replay(records, candidate: same, learn: .init())
        #expect(learned.learnedNoise?.pairs == 58)
        #expect(learned.learnedNoise?.noisyFields[Self.route] == ["$.request_id"])
        #expect(learned.summary.mismatched == 0)
        #expect(learned.summary.noiseOnly == 60)
        #expect(learned.verdict.exitCode == 0)
        #expect(ReplayRun.terminalSummary(learned, runID: nil).contains("learned noise: 58 repeated reads in the capture (min_share 0.5, min_samples 20): GET /api/v1/comments/{id} $.request_id"))

        // A field the two legacy answers always agree on stays a regression next to the noise.
        let regressed = try await self.replay(records, candidate: planted, learn: .init())
        #expect(regressed.summary.mismatched == 30)
        let fields = try #require(regressed.summary.routes[Self.route]?.fields)
        #expect(fields.first { $0.key.field == "$.score" }?.value.classification == .regression)
        #expect(fields.first { $0.key.field == "$.request_id" }?.value.classification == .noise)
        #expect(regressed.verdict.exitCode == 1)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func readsFurtherApartThanThePairWindowTeachNothing() async throws {
        // The same reads an hour apart: the data may really have changed, so nothing is learned.
        let records = Self.capture(count: 60, spacing: 3600)
        let same = try await Self.candidate(scoreOffset: 0)
        defer { Task { try? await same.shutdown() } }
        let result = try await self.replay(records, candidate: same, learn: .init())
        #expect(result.learnedNoise?.pairs == 0)
        #expect(result.summary.mismatched == 60)
        #expect(ReplayRun.terminalSummary(result, runID: nil).contains("learned noise: 0 repeated reads in the capture (min_share 0.5, min_samples 20); no field classified as noise"))
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func tooFewPairsTeachNothing() async throws {
        // 10 captures: 8 pairs, under min_samples 20.
        let records = Self.capture(count: 10, spacing: 1)
        let same = try await Self.candidate(scoreOffset: 0)
        defer { Task { try? await same.shutdown() } }
        let result = try await self.replay(records, candidate: same, learn: .init())
        #expect(result.learnedNoise?.pairs == 8)
        #expect(result.learnedNoise?.noisyFields.isEmpty == true)
        #expect(result.summary.mismatched == 10)
    }
}
