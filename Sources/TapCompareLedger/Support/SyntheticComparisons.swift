import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore

/// Realistic comparison records for the ledger benchmark, the hidden `tapcompare ledger generate` command and
/// tests: a mismatch on one of five comment-API routes with three discrepancies, the request (with an
/// `Authorization` header, to be redacted) and both bodies.
public enum SyntheticComparisons {
    static let routes = [
        ("GET", "GET /api/v1/comments/{id}", "/api/v1/comments/"),
        ("GET", "GET /api/v1/comments/{id}/replies", "/api/v1/comments/"),
        ("POST", "POST /api/v1/comments", "/api/v1/comments"),
        ("PUT", "PUT /api/v1/comments/{id}", "/api/v1/comments/"),
        ("POST", "POST /api/v1/comments/{id}/increment", "/api/v1/comments/"),
    ]

    /// The `index`-th record; `discrepancies` of them (default 3), outcome `mismatch` (or `match` with none).
    public static func make(index: Int, discrepancies: Int = 3, runID: String? = nil, at date: Date = Date()) -> ComparisonRecord {
        let (method, route, prefix) = Self.routes[index % Self.routes.count]
        let path = prefix.hasSuffix("/") ? "\(prefix)\(index)?page=2&token=secret\(index)" : "\(prefix)?token=secret\(index)"
        let legacyBody = #"{"id":\#(index),"author":"ada","text":"hello","score":\#(index % 97),"created_at":"2026-11-22T02:04:33Z"}"#
        let candidateBody = #"{"id":\#(index),"author":"ada","text":"hello ","score":\#(index % 97 + 1),"created_at":"2026-11-22T02:04:33.000Z"}"#
        var found: [Discrepancy] = []
        let templates: [(String, String, DiscrepancyKind, String, String)] = [
            ("/score", "$.score", .valueChanged, "\(index % 97)", "\(index % 97 + 1)"),
            ("/text", "$.text", .valueChanged, #""hello""#, #""hello ""#),
            ("/created_at", "$.created_at", .valueChanged, #""2026-11-22T02:04:33Z""#, #""2026-11-22T02:04:33.000Z""#),
            ("", "status", .status, "200", "201"),
        ]
        for i in 0..<discrepancies {
            let t = templates[i % templates.count]
            found.append(Discrepancy(path: t.0, field: t.1, kind: t.2, legacyValue: t.3, candidateValue: t.4))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "comments.internal")
        headers.add(name: "Authorization", value: "Bearer synthetic-\(index)")
        headers.add(name: "Accept", value: "application/json")
        let request = RequestSnapshot(method: HTTPMethod(rawValue: method), uri: path, headers: headers)
        return ComparisonRecord(
            id: UUID.v7(at: date),
            recordedAt: date,
            requestID: "req-\(index)",
            method: method,
            route: route,
            path: path,
            legacyStatus: 200,
            candidateStatus: 200,
            legacyLatency: .microseconds(2_000 + (index % 50) * 100),
            candidateLatency: .microseconds(1_000 + (index % 40) * 100),
            outcome: discrepancies == 0 ? .match : .mismatch,
            discrepancies: found,
            request: request,
            legacyBody: ByteBuffer(string: legacyBody),
            candidateBody: ByteBuffer(string: candidateBody),
            runID: runID
        )
    }
}
