import Foundation
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// Values that need escaping on the way into the ledger (COPY's text format on PostgreSQL: tab, newline, carriage
/// return, backslash, `\N`, the `\.` end marker) and NULLs next to empty strings, run on both backends by
/// ``SQLiteLedgerTests`` and ``PostgresLedgerTests``.
enum EscapingScenarios {
    /// Every character a text column may meet, in one value.
    static let hostile = "tab\there\nnewline\r\ncrlf back\\slash \\N \\. \\\\t end\\\n☃ ünïcödé 😀 日本語 e\u{301} \u{7} \u{1F}"

    /// A batch whose comparisons carry ``hostile`` text in every free-text column, exact `\N` and `\.` values,
    /// empty strings and NULLs, and doubles whose shortest text has many digits.
    static func batch() -> [LedgerComparison] {
        let start = LedgerTime.startOfHour(Date()).addingTimeInterval(-1800)
        func at(_ ms: Int) -> Date { Date(timeIntervalSince1970: (start.timeIntervalSince1970 * 1000 + Double(ms)).rounded() / 1000) }
        var rows: [LedgerComparison] = []
        for i in 0..<6 {
            rows.append(LedgerComparison(
                id: UUID(), recordedAt: at(i * 1_037), instance: i == 0 ? "\\N" : "host-\(i)\t\\", requestID: Self.hostile,
                method: "GET", route: "GET /api/v1/\\N/{id}\t\(i % 2)", path: "/api/v1/\\./\(i)?q=a\tb\nc",
                legacyStatus: i == 1 ? nil : 200, candidateStatus: i == 2 ? nil : 500 + i,
                legacyMilliseconds: [0.1 + 0.2, 1e-7, 12_345.678_901_234, 2.5, 1e21, 0][i],
                candidateMilliseconds: i == 3 ? nil : 1.0 / 3.0,
                outcome: i == 4 ? "candidate_error" : "mismatch", reason: i == 0 ? "" : (i == 4 ? Self.hostile : nil),
                discrepancyCount: i == 4 ? 0 : 2, regressionCount: i == 4 ? 0 : 1,
                requestSample: i == 5 ? nil : "GET /x HTTP/1.1\r\nAuthorization: [redacted]\r\n\r\n" + Self.hostile,
                legacySample: i == 5 ? "" : #"{"text":"a\tb \\ \n 😀"}"# + "\n\t\\", candidateSample: i == 1 ? nil : "\\.",
                samplesTruncated: i % 2 == 0, runID: i == 0 ? nil : "run\t\\\n\(i)", linkedComparisonID: i == 3 ? UUID() : nil,
                store: i == 2 ? "orders\\db\tprimary" : nil, candidateVersion: i == 3 ? "2.4.1-☃" : nil,
                discrepancies: i == 4 ? [] : [
                    // JSON text in PostgreSQL's `jsonb` output form (what reads back): a string with escapes and
                    // raw Unicode, an object, and a missing value (SQL NULL, not JSON null).
                    LedgerDiscrepancy(
                        path: "/a\tb/\\N", field: "$.a\tb[*].\\", kind: "value_changed\n",
                        legacyValue: #""tab\there \\ back \n ünï 😀""#, candidateValue: #"{"k": [1, null, "\\N"]}"#,
                        classification: "regression"
                    ),
                    LedgerDiscrepancy(path: "", field: "header:x-\\", kind: "missing", legacyValue: "null", candidateValue: nil, classification: "noise"),
                ]
            ))
        }
        return rows
    }

    /// The batch reads back exactly (every column, NULL kept apart from the empty string), and replaying it —
    /// twice, then once more with new comparisons beside it — stores and counts each comparison once.
    static func roundTripAndReplay(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let rows = Self.batch()
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                _ = try await store.migrate()
                try await store.insert(rows)
                for original in rows {
                    var stored = try #require(try await reader.comparison(id: original.id))
                    #expect(abs(stored.recordedAt.timeIntervalSince(original.recordedAt)) < 0.000_5)
                    stored.recordedAt = original.recordedAt
                    #expect(stored == original)
                }
                try await store.insert(rows)
                try await store.insert(rows)
                #expect(try await store.counts() == LedgerCounts(comparisons: 6, discrepancies: 10, gaps: 0, droppedInGaps: 0))
                #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: rows), "a replayed batch is counted once")

                // Half stored, half new: only the new half is written and counted.
                var more = Self.batch()
                more.insert(contentsOf: rows[0..<3], at: 1)
                try await store.insert(more)
                #expect(try await store.counts() == LedgerCounts(comparisons: 12, discrepancies: 20, gaps: 0, droppedInGaps: 0))
                let everything = rows + more.filter { m in !rows.contains { $0.id == m.id } }
                #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: everything))
                #expect(try await reader.comparison(id: more[0].id).map { $0.requestID } == Self.hostile)
            }
        }
    }
}
