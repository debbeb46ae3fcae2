import Crypto
import Foundation

/// Groups regression rows into ``ProblemSignature``s. Pure: the rows come from the ledger (newest first), the
/// route's compared counts from the report.
public enum SignatureGrouper {
    public static func group(_ rows: [RegressionRow], compared: [String: Int]) -> [ProblemSignature] {
        struct Key: Hashable { var route, kind, field, shape: String }
        struct Acc { var first: Date?; var last: Date?; var occurrences = 0; var comparisons: Set<String> = []; var examples: [String] = [] }
        var groups: [Key: Acc] = [:]
        for row in rows {
            let key = Key(route: row.route, kind: row.kind, field: row.field, shape: ValueShape.of(legacy: row.legacyValue, candidate: row.candidateValue))
            var acc = groups[key] ?? Acc()
            acc.occurrences += 1
            acc.first = ReportAssembler.earliest(acc.first, row.recordedAt)
            acc.last = ReportAssembler.latest(acc.last, row.recordedAt)
            if acc.comparisons.insert(row.comparisonId).inserted, acc.examples.count < ProblemSignature.maximumExamples {
                acc.examples.append(row.comparisonId)
            }
            groups[key] = acc
        }
        return groups.map { key, acc in
            let routeCompared = compared[key.route] ?? 0
            return ProblemSignature(
                id: Self.id(route: key.route, kind: key.kind, field: key.field, shape: key.shape), route: key.route, kind: key.kind,
                field: key.field, shape: key.shape, firstSeen: acc.first, lastSeen: acc.last, occurrences: acc.occurrences,
                comparisons: acc.comparisons.count, share: routeCompared == 0 ? 0 : min(1, Double(acc.comparisons.count) / Double(routeCompared)),
                exampleComparisonIds: acc.examples
            )
        }.sorted {
            if $0.comparisons != $1.comparisons { return $0.comparisons > $1.comparisons }
            if $0.occurrences != $1.occurrences { return $0.occurrences > $1.occurrences }
            return ($0.route, $0.field, $0.kind, $0.shape) < ($1.route, $1.field, $1.kind, $1.shape)
        }
    }

    /// Applies the reviewers' statuses: a problem `fixed` at some time and seen after it is flagged
    /// ``ProblemSignature/fixRegressed``.
    public static func apply(_ statuses: [String: ProblemStatusRecord], to problems: inout [ProblemSignature]) {
        for i in problems.indices {
            guard let record = statuses[problems[i].id] else { continue }
            problems[i].status = record.status
            problems[i].statusNote = record.note
            problems[i].statusSetAt = record.setAt
            if record.status == ProblemStatus.fixed.rawValue, let setAt = record.setAt, let last = problems[i].lastSeen, last > setAt {
                problems[i].fixRegressed = true
            }
        }
    }

    public static func id(route: String, kind: String, field: String, shape: String) -> String {
        let digest = SHA256.hash(data: Data([route, kind, field, shape].joined(separator: "\u{1F}").utf8))
        return digest.prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}
