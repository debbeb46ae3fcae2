import Foundation

/// One batch of comparisons aggregated into the hourly rollups' rows (`rollup_outcomes`, `rollup_latency`,
/// `rollup_fields`, see `SCHEMA.md`): what the store adds to those tables, in the same transaction as the raw rows.
///
/// Pure, so the figures are tested without a database; the stores only bind the rows. Rows come out sorted by
/// key, so two writers upserting overlapping keys lock them in the same order and never deadlock.
struct LedgerRollups: Sendable, Hashable {
    struct OutcomeKey: Hashable, Comparable {
        var hour: Date
        var route: String
        /// `""` for live traffic (`run_id` NULL).
        var runID: String
        var instance: String
        var outcome: String
        /// `-1` when that side has no status.
        var legacyStatus: Int
        var candidateStatus: Int
        /// `""` for matches and mismatches (their reason is not reported) and when none was recorded.
        var reason: String

        /// Field by field, in this order (no tuples: building them retained every string of both keys, for each
        /// comparison of every sort).
        static func < (a: Self, b: Self) -> Bool {
            if a.hour != b.hour { return a.hour < b.hour }
            if a.route != b.route { return a.route < b.route }
            if a.runID != b.runID { return a.runID < b.runID }
            if a.instance != b.instance { return a.instance < b.instance }
            if a.outcome != b.outcome { return a.outcome < b.outcome }
            if a.legacyStatus != b.legacyStatus { return a.legacyStatus < b.legacyStatus }
            if a.candidateStatus != b.candidateStatus { return a.candidateStatus < b.candidateStatus }
            return a.reason < b.reason
        }
    }

    struct OutcomeCounts: Hashable {
        var comparisons = 0
        /// Mismatches with at least one regression.
        var regressed = 0
        var firstSeen: Date
        var lastSeen: Date
    }

    struct LatencyKey: Hashable, Comparable {
        var hour: Date
        var route: String
        var runID: String
        /// `legacy` or `candidate`.
        var side: String
        var bucket: Int

        static func < (a: Self, b: Self) -> Bool {
            if a.hour != b.hour { return a.hour < b.hour }
            if a.route != b.route { return a.route < b.route }
            if a.runID != b.runID { return a.runID < b.runID }
            if a.side != b.side { return a.side < b.side }
            return a.bucket < b.bucket
        }
    }

    struct FieldKey: Hashable, Comparable {
        var hour: Date
        var route: String
        var runID: String
        var field: String
        var kind: String
        var classification: String

        static func < (a: Self, b: Self) -> Bool {
            if a.hour != b.hour { return a.hour < b.hour }
            if a.route != b.route { return a.route < b.route }
            if a.runID != b.runID { return a.runID < b.runID }
            if a.field != b.field { return a.field < b.field }
            if a.kind != b.kind { return a.kind < b.kind }
            return a.classification < b.classification
        }
    }

    struct FieldCounts: Hashable {
        /// Discrepancy rows.
        var occurrences = 0
        /// Comparisons with at least one such discrepancy of this classification.
        var comparisons = 0
        /// Comparisons whose leading classification of this (field, kind) is this one (regression, then race,
        /// then noise): summed over classifications it counts each comparison once.
        var leadingComparisons = 0
        var firstSeen: Date
        var lastSeen: Date
    }

    private(set) var outcomes: [OutcomeKey: OutcomeCounts] = [:]
    private(set) var latency: [LatencyKey: Int] = [:]
    private(set) var fields: [FieldKey: FieldCounts] = [:]

    /// Aggregates `comparisons` (only those actually inserted: a replayed duplicate must not count twice).
    init<S: Sequence>(_ comparisons: S) where S.Element == LedgerComparison {
        for c in comparisons { self.add(c) }
    }

    var isEmpty: Bool { self.outcomes.isEmpty }

    /// Sorts classifications the way the report ranks them: regression, race, noise, anything else.
    static func rank(_ classification: String) -> Int {
        switch classification {
        case "regression": return 0
        case "race": return 1
        case "noise": return 2
        default: return 3
        }
    }

    private mutating func add(_ c: LedgerComparison) {
        let hour = LedgerTime.startOfHour(c.recordedAt)
        let run = c.runID ?? ""
        let compared = c.outcome == "match" || c.outcome == "mismatch"
        let key = OutcomeKey(
            hour: hour, route: c.route, runID: run, instance: c.instance, outcome: c.outcome,
            legacyStatus: c.legacyStatus ?? -1, candidateStatus: c.candidateStatus ?? -1,
            reason: compared ? "" : (c.reason ?? "")
        )
        var counts = self.outcomes[key] ?? OutcomeCounts(firstSeen: c.recordedAt, lastSeen: c.recordedAt)
        counts.comparisons += 1
        if c.outcome == "mismatch" && c.regressionCount > 0 { counts.regressed += 1 }
        counts.firstSeen = min(counts.firstSeen, c.recordedAt)
        counts.lastSeen = max(counts.lastSeen, c.recordedAt)
        self.outcomes[key] = counts

        if compared {
            if let ms = c.legacyMilliseconds {
                self.latency[LatencyKey(hour: hour, route: c.route, runID: run, side: "legacy", bucket: LatencyBuckets.bucket(milliseconds: ms)), default: 0] += 1
            }
            if let ms = c.candidateMilliseconds {
                self.latency[LatencyKey(hour: hour, route: c.route, runID: run, side: "candidate", bucket: LatencyBuckets.bucket(milliseconds: ms)), default: 0] += 1
            }
        }

        guard !c.discrepancies.isEmpty else { return }
        // Occurrences per (field, kind, classification) of this comparison. A comparison has a handful of
        // discrepancies: a linear scan of a small array beats hashing (this runs for every row written).
        var seen: [(field: String, kind: String, classification: String, count: Int)] = []
        seen.reserveCapacity(c.discrepancies.count)
        for d in c.discrepancies {
            if let i = seen.firstIndex(where: { $0.field == d.field && $0.kind == d.kind && $0.classification == d.classification }) {
                seen[i].count += 1
            } else {
                seen.append((d.field, d.kind, d.classification, 1))
            }
        }
        for entry in seen {
            // The leading classification of this (field, kind) in this comparison.
            var leading = entry.classification
            for other in seen where other.field == entry.field && other.kind == entry.kind {
                if (Self.rank(other.classification), other.classification) < (Self.rank(leading), leading) { leading = other.classification }
            }
            let key = FieldKey(hour: hour, route: c.route, runID: run, field: entry.field, kind: entry.kind, classification: entry.classification)
            var counts = self.fields[key] ?? FieldCounts(firstSeen: c.recordedAt, lastSeen: c.recordedAt)
            counts.occurrences += entry.count
            counts.comparisons += 1
            if entry.classification == leading { counts.leadingComparisons += 1 }
            counts.firstSeen = min(counts.firstSeen, c.recordedAt)
            counts.lastSeen = max(counts.lastSeen, c.recordedAt)
            self.fields[key] = counts
        }
    }

    var sortedOutcomes: [(key: OutcomeKey, value: OutcomeCounts)] { self.outcomes.sorted { $0.key < $1.key } }
    var sortedLatency: [(key: LatencyKey, value: Int)] { self.latency.sorted { $0.key < $1.key } }
    var sortedFields: [(key: FieldKey, value: FieldCounts)] { self.fields.sorted { $0.key < $1.key } }
}
