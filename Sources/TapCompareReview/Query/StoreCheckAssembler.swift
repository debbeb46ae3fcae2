import Foundation
import TapCompareLedger

/// Turns the grouped store-check rows into the write matrix (``StoreCheckRoute``). Pure: every count, the route
/// filter and the order are decided here once for both backends.
enum StoreCheckAssembler {
    /// The prefix of a legacy store failure's reason (`StoreCheckService` records it on a skipped check).
    static let legacyErrorPrefix = "legacy_store_error"

    /// - Parameters:
    ///   - groups: The scan's rows.
    ///   - route: The report's route filter: a write route keeps its stores, a store check's own route keeps that
    ///     store alone; `nil` keeps everything.
    static func assemble(_ groups: [LedgerReportSource.StoreCheckGroup], route filter: String?) -> [StoreCheckRoute] {
        struct Key: Hashable { var route: String; var store: String }
        var rows: [Key: StoreCheckRow] = [:]
        var reasons: [Key: [String: Int]] = [:]
        for g in groups {
            let key = Key(route: g.route, store: g.store)
            var row = rows[key] ?? StoreCheckRow(
                store: g.store, route: g.route, comparisons: 0, compared: 0, matched: 0, regressions: 0, races: 0, noise: 0,
                missing: 0, errors: 0, legacyErrors: 0, candidateErrors: 0, skipped: 0, mismatchRate: 0, reasons: [],
                firstSeen: nil, lastSeen: nil, fields: []
            )
            row.comparisons += g.count
            row.firstSeen = ReportAssembler.earliest(row.firstSeen, g.first)
            row.lastSeen = ReportAssembler.latest(row.lastSeen, g.last)
            switch g.outcome {
            case "match":
                row.matched += g.count
            case "mismatch":
                switch g.classification {
                case "regression": row.regressions += g.count
                case "race": row.races += g.count
                default: row.noise += g.count
                }
                if g.missing { row.missing += g.count }
            case "candidate_error", "candidate_timeout":
                row.candidateErrors += g.count
                reasons[key, default: [:]][g.reason ?? g.outcome, default: 0] += g.count
            default:
                if g.reason?.hasPrefix(Self.legacyErrorPrefix) == true {
                    row.legacyErrors += g.count
                } else {
                    row.skipped += g.count
                }
                reasons[key, default: [:]][g.reason ?? "unknown", default: 0] += g.count
            }
            rows[key] = row
        }
        var byWrite: [String: [StoreCheckRow]] = [:]
        for (key, var row) in rows {
            row.compared = row.matched + row.regressions + row.races + row.noise
            row.errors = row.legacyErrors + row.candidateErrors
            row.mismatchRate = row.compared == 0 ? 0 : Double(row.regressions) / Double(row.compared)
            row.reasons = Array(ReportAssembler.sortedReasons(reasons[key] ?? [:]).prefix(StoreCheckRow.maximumReasons))
            let write = Self.writeRoute(of: row)
            if let filter, filter != write, filter != row.route { continue }
            byWrite[write, default: []].append(row)
        }
        return byWrite.map { StoreCheckRoute(writeRoute: $0.key, stores: $0.value.sorted { $0.store < $1.store }) }
            .sorted(by: Self.impactOrder)
    }

    /// The write route of a store check: its route without the ` @<store>` suffix `StoreCheckService` adds.
    static func writeRoute(of row: StoreCheckRow) -> String {
        let suffix = " @" + row.store
        return row.route.hasSuffix(suffix) ? String(row.route.dropLast(suffix.count)) : row.route
    }

    /// Write routes by impact: most regressions, then missing records, then errors, then checks, then name.
    static func impactOrder(_ a: StoreCheckRoute, _ b: StoreCheckRoute) -> Bool {
        func total(_ r: StoreCheckRoute, _ value: (StoreCheckRow) -> Int) -> Int { r.stores.reduce(0) { $0 + value($1) } }
        for value in [\StoreCheckRow.regressions, \.missing, \.errors, \.comparisons] {
            let x = total(a) { $0[keyPath: value] }, y = total(b) { $0[keyPath: value] }
            if x != y { return x > y }
        }
        return a.writeRoute < b.writeRoute
    }
}
