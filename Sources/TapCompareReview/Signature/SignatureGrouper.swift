import Crypto
import Foundation
import TapCompareLedger

/// Groups regression rows into ``ProblemSignature``s. Pure: the rows come from the ledger (newest first), the
/// route's compared counts from the report.
public enum SignatureGrouper {
    public static func group(_ rows: [RegressionRow], compared: [String: Int]) -> [ProblemSignature] {
        self.grouping(rows, compared: compared).problems
    }

    /// The problems of `rows` (newest first, as the ledger reads them), each with the candidate versions it was
    /// seen with, and the comparisons grouped by the set of problems they carry.
    public static func grouping(_ rows: [RegressionRow], compared: [String: Int]) -> SignatureGrouping {
        struct Key: Hashable { var route, kind, field, shape: String }
        struct Seen { var comparisons = 0; var last: Date? }
        struct Acc {
            var first: Date?; var last: Date?; var occurrences = 0; var comparisons: Set<String> = []; var examples: [String] = []
            var versions: [String: Seen] = [:]
        }
        var groups: [Key: Acc] = [:]
        // Per comparison, the problems it carries (and its route), for the sets.
        var carried: [String: (route: String, keys: Set<Key>)] = [:]
        for row in rows {
            let key = Key(route: row.route, kind: row.kind, field: row.field, shape: ValueShape.of(legacy: row.legacyValue, candidate: row.candidateValue))
            var acc = groups[key] ?? Acc()
            acc.occurrences += 1
            acc.first = ReportAssembler.earliest(acc.first, row.recordedAt)
            acc.last = ReportAssembler.latest(acc.last, row.recordedAt)
            if acc.comparisons.insert(row.comparisonId).inserted {
                if acc.examples.count < ProblemSignature.maximumExamples { acc.examples.append(row.comparisonId) }
                if let version = row.candidateVersion {
                    var seen = acc.versions[version] ?? Seen()
                    seen.comparisons += 1
                    seen.last = ReportAssembler.latest(seen.last, row.recordedAt)
                    acc.versions[version] = seen
                }
            }
            groups[key] = acc
            carried[row.comparisonId, default: (row.route, [])].keys.insert(key)
        }
        let keyed: [(key: Key, problem: ProblemSignature)] = groups.map { key, acc in
            let routeCompared = compared[key.route] ?? 0
            let versions = acc.versions.map { CandidateVersionCount(version: $0.key, comparisons: $0.value.comparisons, lastSeen: $0.value.last) }
                .sorted(by: Self.versionOrder)
            var problem = ProblemSignature(
                id: Self.id(route: key.route, kind: key.kind, field: key.field, shape: key.shape), route: key.route, kind: key.kind,
                field: key.field, shape: key.shape, firstSeen: acc.first, lastSeen: acc.last, occurrences: acc.occurrences,
                comparisons: acc.comparisons.count, share: routeCompared == 0 ? 0 : min(1, Double(acc.comparisons.count) / Double(routeCompared)),
                exampleComparisonIds: acc.examples
            )
            problem.versions = Array(versions.prefix(ProblemSignature.maximumVersions))
            problem.moreVersions = max(0, versions.count - ProblemSignature.maximumVersions)
            return (key, problem)
        }.sorted {
            let a = $0.problem, b = $1.problem
            if a.comparisons != b.comparisons { return a.comparisons > b.comparisons }
            if a.occurrences != b.occurrences { return a.occurrences > b.occurrences }
            return (a.route, a.field, a.kind, a.shape) < (b.route, b.field, b.kind, b.shape)
        }
        let problems = keyed.map(\.problem)

        // Sets: each comparison's problems by their rank in the report's order, counted alike.
        var rank: [Key: Int] = [:]
        for (i, entry) in keyed.enumerated() { rank[entry.key] = i }
        var setCounts: [[Int]: (route: String, count: Int)] = [:]
        for (_, comparison) in carried {
            let members = comparison.keys.compactMap { rank[$0] }.sorted()
            setCounts[members, default: (comparison.route, 0)].count += 1
        }
        let total = carried.count
        let sets = setCounts.map { members, value in
            SignatureSet(
                route: value.route, signatures: members.map { problems[$0].id }, labels: members.map { SignatureSet.label(problems[$0]) },
                comparisons: value.count, share: total == 0 ? 0 : Double(value.count) / Double(total)
            )
        }.sorted {
            if $0.comparisons != $1.comparisons { return $0.comparisons > $1.comparisons }
            if $0.signatures.count != $1.signatures.count { return $0.signatures.count > $1.signatures.count }
            return ($0.route, $0.signatures.joined(separator: ",")) < ($1.route, $1.signatures.joined(separator: ","))
        }
        let listed = Array(sets.prefix(SignatureSet.maximumListed))
        return SignatureGrouping(problems: problems, sets: listed, setsOmitted: total - listed.reduce(0) { $0 + $1.comparisons })
    }

    /// Versions most recently seen first (then the most comparisons, then by name): what the candidate runs now
    /// leads.
    static func versionOrder(_ a: CandidateVersionCount, _ b: CandidateVersionCount) -> Bool {
        if a.lastSeen != b.lastSeen { return (a.lastSeen ?? .distantPast) > (b.lastSeen ?? .distantPast) }
        if a.comparisons != b.comparisons { return a.comparisons > b.comparisons }
        return a.version < b.version
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
