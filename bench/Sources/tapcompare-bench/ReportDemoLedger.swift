import Foundation
import TapCompareCore
import TapCompareLedger

/// The known contents `scripts/ui-browser-test.sh` checks the UI's pages against, all within the last 12 hours
/// (so the UI's default 24 h window shows them). Deterministic apart from ids and the end time.
///
/// - `GET /api/v1/comments/{id}`: 200 compared, 10 mismatches on `$.score` (regressions), 2 on `$.updated_at`
///   (races) and 4 on `$.replies` (noise): mismatch rate 5.00 %, 6 noise/race only. Candidate latency half of
///   legacy's.
/// - `GET /api/v1/posts/{id}/comments`: 120 compared, every one differing on `$.request_id` (unique values: the
///   noise suggestion), 12 also on `$.comments[*].author.handle`: 100.00 %.
/// - `POST /api/v1/comments`: 60 compared, 2 answered 500 by the candidate (`status`): 3.33 %.
/// - `PUT /api/v1/comments/{id}`: 40 compared, all matching, plus 3 candidate timeouts.
/// - 15 skips (`body_too_large`); one gap of 25 comparisons (`queue_full`).
/// - Store checks of 6 `POST` writes in `comments_db` (one `$.body` regression), `comments_cache` (one record
///   missing in the candidate) and `comment_events` (one candidate store error): the write matrix, outside every
///   figure below.
/// Overall: 132 of 420 compared regressed: 31.43 %.
/// Candidate versions (`candidate_version`): `go-1.4.0` answered the first 100 comment reads, `go-1.5.0` the other
/// 100 and every posts read, so `$.score` was seen with both (5 each) and the posts' problems with `go-1.5.0` only.
struct DemoLedger {
    var comparisons: [LedgerComparison] = []
    var gaps: [LedgerGap] = []

    init(end: Date) {
        let start = end.addingTimeInterval(-12 * 3600)
        var rng = SystemRandomNumberGenerator()
        var sequence = 0
        @discardableResult
        func add(_ route: String, path: String, outcome: String, legacyMs: Double?, candidateMs: Double?, legacyStatus: Int? = 200,
                 candidateStatus: Int? = 200, reason: String? = nil, discrepancies: [LedgerDiscrepancy] = [], bodies: (String, String)? = nil, at offset: Double,
                 store: String? = nil, linked: UUID? = nil, version: String? = nil) -> UUID {
            sequence += 1
            let at = start.addingTimeInterval(offset)
            self.comparisons.append(LedgerComparison(
                id: UUID.v7(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), using: &rng), recordedAt: at,
                instance: sequence % 3 == 0 ? "proxy-2" : "proxy-1", requestID: "req-\(sequence)",
                method: String(route.split(separator: " ")[0]), route: route, path: path, legacyStatus: legacyStatus,
                candidateStatus: candidateStatus, legacyMilliseconds: legacyMs, candidateMilliseconds: candidateMs, outcome: outcome,
                reason: reason, discrepancyCount: discrepancies.count,
                regressionCount: discrepancies.filter { $0.classification == "regression" }.count,
                requestSample: bodies == nil ? nil : "\(route.split(separator: " ")[0]) \(path) HTTP/1.1\r\naccept: application/json\r\nauthorization: [REDACTED]\r\n\r\n",
                legacySample: bodies?.0, candidateSample: bodies?.1, samplesTruncated: false, runID: nil, linkedComparisonID: linked,
                store: store, candidateVersion: version, discrepancies: discrepancies
            ))
            return self.comparisons[self.comparisons.count - 1].id
        }
        let span = 12.0 * 3600
        for i in 0..<200 {
            let legacy = 20 + Double(i % 20) * 3
            let body = #"{"id":\#(1000 + i),"post_id":7,"author":{"id":42,"handle":"ada"},"body":"Looks good to me","score":4.5,"updated_at":"2026-11-21T09:00:00Z","replies":2}"#
            var d: [LedgerDiscrepancy] = []
            var candidateBody = body
            if i % 20 == 7 {
                d = [LedgerDiscrepancy(path: "/score", field: "$.score", kind: "value_changed", legacyValue: "4.5", candidateValue: "4", classification: "regression")]
                candidateBody = body.replacingOccurrences(of: "\"score\":4.5", with: "\"score\":4")
            } else if i % 67 == 13 {
                d = [LedgerDiscrepancy(path: "/updated_at", field: "$.updated_at", kind: "value_changed", legacyValue: "\"2026-11-21T09:00:00Z\"", candidateValue: "\"2026-11-21T09:00:02Z\"", classification: "race")]
                candidateBody = body.replacingOccurrences(of: "09:00:00Z", with: "09:00:02Z")
            } else if i % 50 == 31 {
                d = [LedgerDiscrepancy(path: "/replies", field: "$.replies", kind: "value_changed", legacyValue: "2", candidateValue: "3", classification: "noise")]
                candidateBody = body.replacingOccurrences(of: "\"replies\":2", with: "\"replies\":3")
            }
            add("GET /api/v1/comments/{id}", path: "/api/v1/comments/\(1000 + i)", outcome: d.isEmpty ? "match" : "mismatch",
                legacyMs: legacy, candidateMs: legacy / 2, discrepancies: d, bodies: d.isEmpty ? nil : (body, candidateBody), at: span * Double(i) / 200,
                version: i < 100 ? "go-1.4.0" : "go-1.5.0")
        }
        for i in 0..<120 {
            var d = [LedgerDiscrepancy(path: "/request_id", field: "$.request_id", kind: "value_changed", legacyValue: "\"py-\(9000 + i)\"", candidateValue: "\"go-\(5000 + i * 7)\"", classification: "regression")]
            let legacyBody = #"{"request_id":"py-\#(9000 + i)","post_id":\#(i),"comments":[{"id":1,"author":{"handle":"ada"}},{"id":2,"author":{"handle":"bob"}}]}"#
            var candidateBody = legacyBody.replacingOccurrences(of: "py-\(9000 + i)", with: "go-\(5000 + i * 7)")
            if i % 10 == 4 {
                d.append(LedgerDiscrepancy(path: "/comments/1/author/handle", field: "$.comments[*].author.handle", kind: "type_changed", legacyValue: "\"bob\"", candidateValue: "null", classification: "regression"))
                candidateBody = candidateBody.replacingOccurrences(of: "\"handle\":\"bob\"", with: "\"handle\":null")
            }
            add("GET /api/v1/posts/{id}/comments", path: "/api/v1/posts/\(i)/comments", outcome: "mismatch", legacyMs: 30 + Double(i % 10) * 4,
                candidateMs: 28 + Double(i % 10) * 4, discrepancies: d, bodies: (legacyBody, candidateBody), at: span * Double(i) / 120 + 7,
                version: "go-1.5.0")
        }
        for i in 0..<60 {
            let failed = i == 17 || i == 43
            let write = add("POST /api/v1/comments", path: "/api/v1/comments", outcome: failed ? "mismatch" : "match", legacyMs: 60 + Double(i % 6) * 10,
                candidateMs: 25 + Double(i % 6) * 5, legacyStatus: 201, candidateStatus: failed ? 500 : 201,
                discrepancies: failed ? [LedgerDiscrepancy(path: "", field: "status", kind: "status", legacyValue: "201", candidateValue: "500", classification: "regression")] : [],
                bodies: failed ? (#"{"id":5001,"body":"new comment"}"#, #"{"error":"internal"}"#) : nil, at: span * Double(i) / 60 + 13)
            // Store checks of every tenth write, a second after it (never counted in the HTTP figures above).
            guard i % 10 == 5 else { continue }
            let row = #"{"id":\#(5000 + i),"body":"new comment","score":0}"#
            func check(_ store: String, _ outcome: String, reason: String? = nil, _ d: [LedgerDiscrepancy] = [], candidate: String? = nil) {
                add("POST /api/v1/comments @" + store, path: "/api/v1/comments", outcome: outcome, legacyMs: nil, candidateMs: nil,
                    legacyStatus: 200, candidateStatus: outcome == "candidate_error" ? nil : (candidate == nil && !d.isEmpty ? 404 : 200), reason: reason,
                    discrepancies: d, bodies: d.isEmpty ? nil : (row, candidate ?? ""), at: span * Double(i) / 60 + 14, store: store, linked: write)
            }
            if i == 25 {
                check("comments_db", "mismatch", [LedgerDiscrepancy(path: "/body", field: "$.body", kind: "value_changed", legacyValue: #""new comment""#, candidateValue: #""new comment ""#, classification: "regression")],
                      candidate: row.replacingOccurrences(of: "new comment", with: "new comment "))
            } else {
                check("comments_db", "match")
            }
            if i == 45 {
                check("comments_cache", "mismatch", [LedgerDiscrepancy(path: "", field: "$", kind: "missing_in_candidate", legacyValue: row, candidateValue: nil, classification: "regression")])
            } else {
                check("comments_cache", "match")
            }
            if i == 55 {
                check("comment_events", "candidate_error", reason: "candidate_store_error: connection: connection refused")
            } else {
                check("comment_events", "match")
            }
        }
        for i in 0..<40 {
            add("PUT /api/v1/comments/{id}", path: "/api/v1/comments/\(i)", outcome: "match", legacyMs: 70 + Double(i % 8) * 5, candidateMs: 40 + Double(i % 8) * 4, at: span * Double(i) / 40 + 17)
        }
        for i in 0..<3 {
            add("PUT /api/v1/comments/{id}", path: "/api/v1/comments/\(100 + i)", outcome: "candidate_timeout", legacyMs: 80, candidateMs: 500, candidateStatus: nil, reason: "timeout after 500ms", at: span * Double(i + 1) / 4)
        }
        for i in 0..<15 {
            add("POST /api/v1/comments", path: "/api/v1/comments", outcome: "skipped", legacyMs: 90, candidateMs: nil, legacyStatus: 201, candidateStatus: nil, reason: "body_too_large", at: span * Double(i) / 15 + 23)
        }
        self.comparisons.sort { $0.recordedAt < $1.recordedAt }
        self.gaps = [LedgerGap(instance: "proxy-2", from: end.addingTimeInterval(-2 * 3600), to: end.addingTimeInterval(-2 * 3600 + 90), count: 25, reason: "queue_full")]
    }
}
