import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import TapCompareApp
import TapCompareCapture
import TapCompareTestSupport
import Testing

@Suite struct DemoServiceTests {
    static let records: [CaptureRecord] = (try? CaptureFile.read(path: TestPaths.fixture("comments.capture.jsonl"))) ?? []

    @Test func theFixtureHasWhatTheIssueAsksFor() throws {
        let records = Self.records
        #expect(records.count >= 200)
        let routes = Set(records.map(\.route))
        for route in [
            "GET /api/v1/comments/{id}", "GET /api/v1/comments/{id}/replies", "GET /api/v1/posts/{id}/comments",
            "POST /api/v1/comments", "PATCH /api/v1/comments/{id}", "DELETE /api/v1/comments/{id}",
            "POST /api/v1/comments/{id}/votes",
        ] {
            #expect(routes.contains(route), "\(route)")
        }
        #expect(records.contains { $0.legacy.status == 404 })
        #expect(records.contains { $0.request.uri.contains("sort=top") } && records.contains { $0.request.uri.contains("sort=new") })
        let bodies = records.compactMap(\.legacy.body?.data).joined()
        for sample in ["👨‍👩‍👧‍👦", "שלום", "مرحبا", "这个", "e\u{301}", "1790123"] {
            #expect(bodies.contains(sample), "\(sample)")
        }
        // Ids above 2^53 = 9007199254740992.
        #expect(bodies.contains("\"id\":17901234"))
        #expect(records.allSatisfy { r in r.request.headers.contains { $0.name == "X-Request-Id" && $0.value == r.requestID } })
    }

    /// The Python generator and the Swift demo candidate must agree on the regressions, byte for byte.
    @Test func demoRegressionsMatchTheRecordedCandidateResponses() throws {
        var checked = 0
        for record in Self.records {
            guard let candidate = record.candidate?.response, let legacy = record.legacy.body else { continue }
            let expected = Array(try candidate.body?.bytes().readableBytesView ?? ByteBuffer().readableBytesView)
            let produced = DemoRegressions.apply(route: record.route, to: Array(try legacy.bytes().readableBytesView))
            #expect(produced == expected, "\(record.requestID) \(record.route)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func regressionsAreTheOnesTheIssueNames() throws {
        let listing = #"{"post_id":1,"comments":[{"id":9007199254740993,"post_id":1,"body":"x","score":12,"created_at":"2026-11-20T14:03:11.120000+00:00","replies":[]}]}"#
        let out = String(decoding: DemoRegressions.apply(route: "GET /api/v1/posts/{id}/comments", to: Array(listing.utf8)), as: UTF8.self)
        #expect(out == #"{"post_id":1,"comments":[{"id":9007199254740993,"post_id":1,"body":"x","score":"12","created_at":"2026-11-20T14:03:11.12Z","replies":[]}]}"#)
        let replies = #"{"comment_id":5,"replies":[{"id":6,"post_id":1,"body":"y","reply_count":0}]}"#
        let out2 = String(decoding: DemoRegressions.apply(route: "GET /api/v1/comments/{id}/replies", to: Array(replies.utf8)), as: UTF8.self)
        #expect(out2 == #"{"comment_id":5,"replies":[{"id":6,"post_id":1,"body":"y"}]}"#)
        let tree = #"{"id":1,"post_id":1,"replies":[{"id":3,"created_at":"2026-01-02T00:00:00+00:00"},{"id":2,"created_at":"2026-01-01T00:00:00+00:00"}]}"#
        let out3 = String(decoding: DemoRegressions.apply(route: "GET /api/v1/comments/{id}", to: Array(tree.utf8)), as: UTF8.self)
        #expect(out3 == #"{"id":1,"post_id":1,"replies":[{"id":2,"created_at":"2026-01-01T00:00:00Z"},{"id":3,"created_at":"2026-01-02T00:00:00Z"}]}"#)
        // Not JSON: unchanged.
        #expect(DemoRegressions.apply(route: "GET /api/v1/comments/{id}", to: [0xFF, 0x00]) == [0xFF, 0x00])
    }

    @Test func candidateP99IsLowerThanLegacyP99() {
        let latency = DemoLatency()
        let legacy = Self.records.map { latency.legacy(recordedMS: $0.legacy.latencyMS) }.sorted()
        let candidate = Self.records.map { latency.candidate(recordedMS: $0.legacy.latencyMS, requestID: $0.requestID) }.sorted()
        let p99 = { (values: [Duration]) in values[Int(Double(values.count) * 0.99) - 1] }
        #expect(p99(candidate) < p99(legacy))
        #expect(DemoLatency(scale: 0).legacy(recordedMS: 500) == .zero)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func servicesAnswerOverHTTP() async throws {
        let store = try DemoFixtureStore(records: Self.records)
        let record = try #require(Self.records.first { $0.route == "GET /api/v1/posts/{id}/comments" && $0.legacy.status == 200 })
        try await DemoServers.withRunning(store: store, latency: DemoLatency(scale: 0)) { endpoints in
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            defer { _ = client.shutdown() }
            for (url, role) in [(endpoints.legacy, "legacy"), (endpoints.candidate, "candidate")] {
                var request = HTTPClientRequest(url: url + record.request.uri)
                request.headers.add(name: "X-Request-Id", value: record.requestID)
                let response = try await client.execute(request, timeout: TestTiming.scaled(.seconds(10)))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 24))
                #expect(response.status == .ok)
                #expect(response.headers["X-Request-Id"] == [record.requestID])
                if role == "legacy" {
                    #expect(body == record.legacy.body?.data)
                } else {
                    #expect(body == record.candidate?.response?.body?.data)
                    #expect(body.contains("\"score\":\""))
                }
            }
            let missing = try await client.execute(HTTPClientRequest(url: endpoints.legacy + "/nope"), timeout: TestTiming.scaled(.seconds(10)))
            #expect(missing.status == .notFound)
        }
    }
}

@Suite struct DemoServersStartupTests {
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aPortInUseIsAnErrorNotAHang() async throws {
        let store = try DemoFixtureStore(records: [])
        try await DemoServers.withRunning(store: store, latency: DemoLatency(scale: 0)) { endpoints in
            let taken = Int(endpoints.legacy.split(separator: ":").last!)!
            await #expect(throws: (any Error).self) {
                try await DemoServers.withRunning(store: store, latency: DemoLatency(scale: 0), legacyPort: taken) { _ in }
            }
        }
    }
}
