import Foundation
import Logging
import TapCompareCore
import TapCompareLedger
import TapCompareReview

/// A small ledger with known contents, written through the ledger's own store (migrations and inserts), so the
/// report is tested against exactly what `serve` and `replay` write.
///
/// Three routes, times from ``t0`` every 10 s:
/// - `GET /api/v1/comments/{id}`: 10 compared (6 match; 3 mismatches on `$.score`, regressions, answered by candidate
///   versions `2.4.0` (the first) and `2.4.1` (the other two); 1 mismatch whose
///   only discrepancy, `$.updated_at`, is a race), 1 candidate timeout, 1 candidate error, 2 skipped
///   (`body_too_large`). Latency legacy 10…100 ms, candidate 5…50 ms.
/// - `GET /api/v1/posts/{id}/comments`: 6 compared, all mismatches on `$.request_id` (unique values both sides:
///   the noise suggestion), 2 of them also on `$.comments[*].score` twice each. Legacy 10…60 ms, candidate 20…120.
/// - `POST /api/v1/comments`: 2 compared, both match; then 11 store checks of those writes in three stores
///   (``expectedMatrix``), recorded after every HTTP comparison.
/// Gaps: 7 comparisons from `proxy-b` within the window, and 99 two days before it.
struct ReviewFixture {
    static let t0 = LedgerTime.parse("2026-11-20T10:00:00.000Z")!
    static let commentRoute = "GET /api/v1/comments/{id}"
    static let postsRoute = "GET /api/v1/posts/{id}/comments"
    static let createRoute = "POST /api/v1/comments"

    let runID: String
    var comparisons: [LedgerComparison] = []
    var gaps: [LedgerGap] = []
    /// The ids of the `$.score` mismatches, oldest first.
    var scoreMismatchIDs: [UUID] = []

    init(runID: String = "review-test-\(UUID().uuidString.prefix(8).lowercased())") {
        self.runID = runID
        var n = 0
        var rng = SystemRandomNumberGenerator()
        func next(_ route: String, method: String, outcome: String, legacy: Double?, candidate: Double?, legacyStatus: Int? = 200, candidateStatus: Int? = 200,
                  reason: String? = nil, discrepancies: [LedgerDiscrepancy] = [], samples: (String, String)? = nil, instance: String = "proxy-a",
                  store: String? = nil, linked: UUID? = nil, version: String? = nil) -> LedgerComparison {
            let at = Self.t0.addingTimeInterval(Double(n) * 10)
            n += 1
            return LedgerComparison(
                id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at, instance: instance,
                requestID: "req-\(n)", method: method, route: route, path: route.split(separator: " ").last.map(String.init) ?? "/",
                legacyStatus: legacyStatus, candidateStatus: candidateStatus, legacyMilliseconds: legacy, candidateMilliseconds: candidate,
                outcome: outcome, reason: reason, discrepancyCount: discrepancies.count,
                regressionCount: discrepancies.filter { $0.classification == "regression" }.count,
                requestSample: samples == nil ? nil : "GET /api/v1/comments/1 HTTP/1.1\r\nauthorization: [REDACTED]\r\n\r\n",
                legacySample: samples?.0, candidateSample: samples?.1, samplesTruncated: false, runID: runID, linkedComparisonID: linked,
                store: store, candidateVersion: version, discrepancies: discrepancies
            )
        }
        // Comments: 10 compared, interleaved so matches and mismatches spread over time.
        for i in 1...10 {
            let legacy = Double(i * 10), candidate = Double(i * 5)
            switch i {
            case 2, 5, 8:
                let c = next(Self.commentRoute, method: "GET", outcome: "mismatch", legacy: legacy, candidate: candidate, discrepancies: [
                    LedgerDiscrepancy(path: "/score", field: "$.score", kind: "value_changed", legacyValue: "1.5", candidateValue: "1.2\(i)", classification: "regression"),
                ], samples: (#"{"id":\#(i),"score":1.5,"body":"hello","author":{"handle":"ann"}}"#, #"{"id":\#(i),"score":1.2\#(i),"body":"hello","author":{"handle":"ann"}}"#),
                   version: i == 2 ? "2.4.0" : "2.4.1")
                self.scoreMismatchIDs.append(c.id)
                self.comparisons.append(c)
            case 9:
                self.comparisons.append(next(Self.commentRoute, method: "GET", outcome: "mismatch", legacy: legacy, candidate: candidate, discrepancies: [
                    LedgerDiscrepancy(path: "/updated_at", field: "$.updated_at", kind: "value_changed", legacyValue: "\"2026-11-20T10:00:00Z\"", candidateValue: "\"2026-11-20T10:00:01Z\"", classification: "race"),
                ], samples: (#"{"updated_at":"2026-11-20T10:00:00Z"}"#, #"{"updated_at":"2026-11-20T10:00:01Z"}"#), instance: "proxy-b"))
            default:
                self.comparisons.append(next(Self.commentRoute, method: "GET", outcome: "match", legacy: legacy, candidate: candidate, instance: i % 2 == 0 ? "proxy-b" : "proxy-a"))
            }
        }
        self.comparisons.append(next(Self.commentRoute, method: "GET", outcome: "candidate_timeout", legacy: 12, candidate: 500, candidateStatus: nil, reason: "timeout after 500ms"))
        self.comparisons.append(next(Self.commentRoute, method: "GET", outcome: "candidate_error", legacy: 11, candidate: nil, candidateStatus: nil, reason: "connection refused"))
        for _ in 0..<2 {
            self.comparisons.append(next(Self.commentRoute, method: "GET", outcome: "skipped", legacy: 9, candidate: nil, candidateStatus: nil, reason: "body_too_large"))
        }
        // Posts: every comparison differs on a per-request id.
        for i in 1...6 {
            var d = [LedgerDiscrepancy(path: "/request_id", field: "$.request_id", kind: "value_changed", legacyValue: "\"l-\(i)\"", candidateValue: "\"c-\(i)\"", classification: "regression")]
            if i == 3 || i == 6 {
                d.append(LedgerDiscrepancy(path: "/comments/0/score", field: "$.comments[*].score", kind: "value_changed", legacyValue: "3", candidateValue: "4", classification: "regression"))
                d.append(LedgerDiscrepancy(path: "/comments/1/score", field: "$.comments[*].score", kind: "value_changed", legacyValue: "5", candidateValue: "6", classification: "regression"))
            }
            self.comparisons.append(next(Self.postsRoute, method: "GET", outcome: "mismatch", legacy: Double(i * 10), candidate: Double(i * 20), discrepancies: d,
                                         samples: (#"{"request_id":"l-\#(i)","comments":[{"id":1,"score":3},{"id":2,"score":5}]}"#, #"{"request_id":"c-\#(i)","comments":[{"id":1,"score":4},{"id":2,"score":6}]}"#)))
        }
        for _ in 0..<2 {
            let write = next(Self.createRoute, method: "POST", outcome: "match", legacy: 30, candidate: 15, legacyStatus: 201, candidateStatus: 201)
            self.writeIDs.append(write.id)
            self.comparisons.append(write)
        }
        // Store checks of the two writes (issue 14), after them: never HTTP traffic, so none of the figures above
        // may move. The matrix they give is ``expectedMatrix``.
        func check(_ store: String, _ write: Int, _ outcome: String, reason: String? = nil, _ discrepancies: [LedgerDiscrepancy] = []) {
            let c = next(Self.createRoute + " @" + store, method: "POST", outcome: outcome, legacy: nil, candidate: nil,
                         legacyStatus: outcome == "skipped" ? nil : 200, candidateStatus: outcome.hasPrefix("candidate_") || outcome == "skipped" ? nil : 200,
                         reason: reason, discrepancies: discrepancies,
                         samples: outcome == "match" ? nil : (#"{"id":7,"body":"hello"}"#, #"{"id":7,"body":"hello "}"#), store: store, linked: self.writeIDs[write])
            self.storeCheckIDs[store, default: []].append(c.id)
            self.comparisons.append(c)
        }
        func d(_ path: String, _ field: String, _ kind: String, _ legacy: String?, _ candidate: String?, _ classification: String = "regression") -> LedgerDiscrepancy {
            LedgerDiscrepancy(path: path, field: field, kind: kind, legacyValue: legacy, candidateValue: candidate, classification: classification)
        }
        check("comments_db", 0, "match")
        check("comments_cache", 0, "mismatch", [d("", "$", "missing_in_candidate", #"{"id":7}"#, nil)])
        check("comment_events", 0, "mismatch", [d("", "$", "missing_in_legacy", nil, #"{"comment_id":7}"#)])
        check("comments_db", 1, "mismatch", [d("/body", "$.body", "value_changed", #""hello""#, #""hello ""#)])
        check("comments_db", 1, "mismatch", [d("/score", "$.score", "value_changed", "1", "2", "race")])
        check("comments_db", 1, "skipped", reason: "legacy_store_error: timeout: no answer within 2s")
        check("comments_db", 1, "skipped", reason: "write_failed")
        check("comments_cache", 1, "match")
        check("comments_cache", 1, "candidate_timeout", reason: "candidate_store_error: timeout: no answer within 2s")
        check("comment_events", 1, "mismatch", [d("/ts", "$.ts", "value_changed", "1", "2", "noise")])
        check("comment_events", 1, "candidate_error", reason: "candidate_store_error: connection: connection refused")
        self.gaps = [
            LedgerGap(instance: "proxy-b", from: Self.t0.addingTimeInterval(60), to: Self.t0.addingTimeInterval(120), count: 7, reason: "queue_full"),
            LedgerGap(instance: "proxy-b", from: Self.t0.addingTimeInterval(-2 * 86_400), to: Self.t0.addingTimeInterval(-2 * 86_400 + 60), count: 99, reason: "spool_full"),
        ]
    }

    /// The writes of `POST /api/v1/comments`, oldest first.
    var writeIDs: [UUID] = []
    /// The store checks' ids by store, oldest first.
    var storeCheckIDs: [String: [UUID]] = [:]

    /// The write matrix of the store checks: store → compared, matched, regressions, races, noise, missing, errors,
    /// skipped.
    static let expectedMatrix: [String: [Int]] = [
        "comment_events": [2, 0, 1, 0, 1, 1, 1, 0],
        "comments_cache": [2, 1, 1, 0, 0, 1, 1, 0],
        "comments_db": [3, 1, 1, 1, 0, 0, 1, 1],
    ]

    /// The last HTTP comparison's time (store checks follow it).
    var lastRecordedAt: Date { self.comparisons.filter { $0.store == nil }.map(\.recordedAt).max()! }

    static let logger = Logger(label: "review-test")

    /// Writes the fixture into a fresh SQLite ledger and runs `body` with a report source over it.
    static func withSQLite<T: Sendable>(_ body: @Sendable (ReviewFixture, LedgerReportSource, LedgerURL) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("ledger.sqlite").path))
        return try await self.with(url: url, body)
    }

    /// The Postgres ledger named by `TAPCOMPARE_TEST_POSTGRES_URL`, or `nil` when unset.
    static var postgresURL: LedgerURL? {
        guard let text = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_POSTGRES_URL"], !text.isEmpty else { return nil }
        return try? LedgerURL(parsing: text)
    }

    /// Seeds `url` with a fresh fixture (its own run id, so tests sharing a database never see each other's rows).
    static func with<T: Sendable>(url: LedgerURL, _ body: @Sendable (ReviewFixture, LedgerReportSource, LedgerURL) async throws -> T) async throws -> T {
        let fixture = ReviewFixture()
        try await LedgerStores.withStore(url: url, logger: self.logger) { store in
            _ = try await store.migrate()
            try await store.insert(fixture.comparisons)
            if case .sqlite = url.backend {
                for gap in fixture.gaps { try await store.insertGap(gap) }
            }
        }
        return try await LedgerReaders.withReader(url: url, logger: self.logger) { database in
            try await body(fixture, LedgerReportSource(reader: database, ledgerDescription: url.description), url)
        }
    }
}
