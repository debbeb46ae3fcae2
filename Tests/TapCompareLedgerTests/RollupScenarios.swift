import Foundation
import PostgresNIO
import SQLiteNIO
import TapCompareCore
import Testing
@testable import TapCompareLedger

/// The hourly rollups' rows as comparable text lines (`hour|route|…|counts|first|last`), read from a ledger or
/// computed by ``LedgerRollups`` from comparisons.
struct RollupSnapshot: Hashable, CustomTestStringConvertible {
    var outcomes: Set<String> = []
    var latency: Set<String> = []
    var fields: Set<String> = []

    var testDescription: String { "\(outcomes.count) outcome, \(latency.count) latency, \(fields.count) field rows" }

    /// What the rollups must hold for exactly these (distinct) comparisons.
    init(expected comparisons: [LedgerComparison]) {
        let rollups = LedgerRollups(comparisons)
        let t = LedgerTime.format
        for (k, v) in rollups.sortedOutcomes {
            self.outcomes.insert([t(k.hour), k.route, k.runID, k.instance, k.outcome, "\(k.legacyStatus)", "\(k.candidateStatus)", k.reason,
                                  "\(v.comparisons)", "\(v.regressed)", t(v.firstSeen), t(v.lastSeen)].joined(separator: "|"))
        }
        for (k, n) in rollups.sortedLatency {
            self.latency.insert([t(k.hour), k.route, k.runID, k.side, "\(k.bucket)", "\(n)"].joined(separator: "|"))
        }
        for (k, v) in rollups.sortedFields {
            self.fields.insert([t(k.hour), k.route, k.runID, k.field, k.kind, k.classification, "\(v.occurrences)", "\(v.comparisons)",
                                "\(v.leadingComparisons)", t(v.firstSeen), t(v.lastSeen)].joined(separator: "|"))
        }
    }

    init() {}

    static let outcomeColumns = ["hour", "route", "run_id", "instance", "outcome", "legacy_status", "candidate_status", "reason", "comparisons", "regressed", "first_seen", "last_seen"]
    static let latencyColumns = ["hour", "route", "run_id", "side", "bucket", "count"]
    static let fieldColumns = ["hour", "route", "run_id", "field", "kind", "classification", "occurrences", "comparisons", "leading_comparisons", "first_seen", "last_seen"]
    static let timeColumns: Set<String> = ["hour", "first_seen", "last_seen"]

    /// Reads the three tables of `store`.
    static func read(_ store: any LedgerStore) async throws -> RollupSnapshot {
        var snapshot = RollupSnapshot()
        snapshot.outcomes = try await Self.lines(store, table: "rollup_outcomes", columns: Self.outcomeColumns)
        snapshot.latency = try await Self.lines(store, table: "rollup_latency", columns: Self.latencyColumns)
        snapshot.fields = try await Self.lines(store, table: "rollup_fields", columns: Self.fieldColumns)
        return snapshot
    }

    private static func lines(_ store: any LedgerStore, table: String, columns: [String]) async throws -> Set<String> {
        if let pg = store as? PostgresLedgerStore {
            // Times to the nearest millisecond: a Date bound as timestamptz can land a microsecond below its
            // millisecond (binary floating point), which `MS` alone would truncate.
            let parts = columns.map { c in
                Self.timeColumns.contains(c) ? "to_char((\(c) + interval '0.5 milliseconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "\(c)::text"
            }
            let rows = try await pg.client.query(PostgresQuery(unsafeSQL: "SELECT concat_ws('|', \(parts.joined(separator: ", "))) FROM tapcompare.\(table)"))
            var out: Set<String> = []
            for try await (line) in rows.decode(String.self) { out.insert(line) }
            return out
        }
        let sqlite = try #require(store as? SQLiteLedgerStore)
        let sql = "SELECT \(columns.joined(separator: " || '|' || ")) AS line FROM \(table)"
        return try await sqlite.withSQLiteConnection { conn in
            Set(try await conn.query(sql).compactMap { $0.column("line")?.string })
        }
    }
}

/// Checks shared by the scenarios: the rollups a ledger holds equal what its raw rows give.
enum RollupCheck {
    /// The rollups kept by the writer equal the ones migration 2's backfill computes from the raw rows now (the
    /// raw aggregate), and their totals equal the raw row counts.
    static func expectConsistent(_ url: LedgerURL, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await Harness.withStore(url) { store in
            let kept = try await RollupSnapshot.read(store)
            let counts = try await store.counts()
            if let pg = store as? PostgresLedgerStore {
                try await pg.rebuildRollups()
            } else {
                try await #require(store as? SQLiteLedgerStore).rebuildRollups()
            }
            let rebuilt = try await RollupSnapshot.read(store)
            #expect(kept == rebuilt, "rollups kept by the writer equal the rollups computed from the raw rows", sourceLocation: sourceLocation)
            let total = kept.outcomes.reduce(0) { $0 + Int($1.split(separator: "|", omittingEmptySubsequences: false)[8])! }
            let occurrences = kept.fields.reduce(0) { $0 + Int($1.split(separator: "|", omittingEmptySubsequences: false)[6])! }
            #expect(total == counts.comparisons, "rollup comparisons equal the comparisons rows", sourceLocation: sourceLocation)
            #expect(occurrences == counts.discrepancies, "rollup occurrences equal the discrepancies rows", sourceLocation: sourceLocation)
        }
    }

    /// Comparisons over three hours and two runs with every outcome, several statuses, reasons, instances and
    /// discrepancies: a field differing twice in one comparison (a wildcard), one with mixed classifications.
    static func mixedComparisons(start: Date = LedgerTime.startOfHour(Date()).addingTimeInterval(-3 * 3600)) -> [LedgerComparison] {
        let outcomes = ["match", "mismatch", "mismatch", "candidate_error", "candidate_timeout", "skipped", "mismatch", "match"]
        let routes = ["GET /api/v1/comments/{id}", "GET /api/v1/posts/{id}/comments", "POST /api/v1/comments"]
        // Ids drawn before the loop body, outside any closure: ThreadSanitizer's runtime crashed (SEGV in its
        // access instrumentation) on the generator mutated through a closure's capture.
        let ids = (0..<240).map { _ in UUID() }
        return (0..<240).map { i in
            // Every 45 s over three hours, the first at 10 s past the hour.
            let at = start.addingTimeInterval(10 + Double(i) * 45)
            let outcome = outcomes[i % outcomes.count]
            let route = routes[(i / 3) % routes.count]
            var discrepancies: [LedgerDiscrepancy] = []
            if outcome == "mismatch" {
                discrepancies.append(LedgerDiscrepancy(path: "/score", field: "$.score", kind: "value_changed", legacyValue: "\(i)", candidateValue: "\(i + 1)", classification: i % 5 == 0 ? "noise" : "regression"))
                if i % 3 == 0 {
                    discrepancies.append(LedgerDiscrepancy(path: "/replies/0/id", field: "$.replies[*].id", kind: "value_changed", legacyValue: "1", candidateValue: "2", classification: "race"))
                    discrepancies.append(LedgerDiscrepancy(path: "/replies/1/id", field: "$.replies[*].id", kind: "value_changed", legacyValue: "3", candidateValue: "4", classification: i % 2 == 0 ? "regression" : "race"))
                }
                if i % 4 == 1 {
                    discrepancies.append(LedgerDiscrepancy(path: "", field: "header:etag", kind: "header", legacyValue: "\"a\"", candidateValue: "\"b\"", classification: "noise"))
                }
            }
            let compared = outcome == "match" || outcome == "mismatch"
            return LedgerComparison(
                id: ids[i], recordedAt: at.wholeMilliseconds,
                instance: i % 2 == 0 ? "proxy-a" : "proxy-b", requestID: "r-\(i)", method: String(route.prefix { $0 != " " }),
                route: route, path: "/p/\(i)", legacyStatus: i % 7 == 0 ? 404 : 200,
                candidateStatus: compared ? (i % 11 == 0 ? 500 : 200) : nil,
                legacyMilliseconds: 5 + Double(i % 37) * 1.7, candidateMilliseconds: outcome == "candidate_error" || outcome == "skipped" ? nil : 3 + Double(i % 53) * 2.3,
                outcome: outcome,
                reason: outcome == "skipped" ? (i % 2 == 0 ? "body_too_large" : "max_in_flight") : outcome == "candidate_error" ? "connection refused" : outcome == "candidate_timeout" ? "timeout after 500ms" : nil,
                discrepancyCount: discrepancies.count, regressionCount: discrepancies.filter { $0.classification == "regression" }.count,
                requestSample: nil, legacySample: nil, candidateSample: nil, samplesTruncated: false,
                runID: i % 4 == 3 ? "run-1" : nil, linkedComparisonID: nil, discrepancies: discrepancies
            )
        }
    }
}

/// Rollup scenarios, run on both backends by ``SQLiteLedgerTests`` and ``PostgresLedgerTests``.
enum RollupScenarios {
    /// Written through the writer, then a batch replayed: the rollups hold exactly the distinct comparisons.
    static func rollupsMatchRawAfterWrites(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let rows = RollupCheck.mixedComparisons()
        try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            // Two batches, the second overlapping the first (a spool replayed after a commit it never saw).
            try await store.insert(Array(rows[0..<150]))
            try await store.insert(Array(rows[100...]))
            let snapshot = try await RollupSnapshot.read(store)
            let expected = RollupSnapshot(expected: rows)
            #expect(snapshot == expected)
            #expect(snapshot.outcomes.count > 20 && snapshot.fields.count > 10 && snapshot.latency.count > 50)
        }
        try await RollupCheck.expectConsistent(url)
    }

    /// A schema-1 ledger with rows gets its rollups from migration 2.
    static func migrationBackfill(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let rows = RollupCheck.mixedComparisons()
        try await Harness.withStore(url) { store in
            if let pg = store as? PostgresLedgerStore {
                #expect(try await pg.migrate(upTo: 1) == [1])
                try await pg.insert(rows, rollups: false)
            } else {
                let sqlite = try #require(store as? SQLiteLedgerStore)
                #expect(try await sqlite.migrate(upTo: 1) == [1])
                try await sqlite.insert(rows, rollups: false)
            }
            #expect(try await store.schemaVersion() == 1)
            #expect(try await store.migrate() == [2, 3, 4, 5, 6, 7, 8])
            #expect(try await store.schemaVersion() == 8)
            #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: rows))
            // Rows written after the upgrade add to the backfilled hours.
            let later = RollupCheck.mixedComparisons(start: LedgerTime.startOfHour(Date()).addingTimeInterval(-2 * 3600)).map { c -> LedgerComparison in
                var c = c
                c.id = UUID()
                return c
            }
            try await store.insert(later)
            #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: rows + later))
        }
        try await RollupCheck.expectConsistent(url)
    }
}
