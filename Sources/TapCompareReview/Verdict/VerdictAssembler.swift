import Foundation

/// Turns a full ``Report`` (routes with their fields and latency, store checks with their fields) into the
/// window's ``VerdictReport``. Pure: the ledger is read once, by the report's own queries and rollups.
public enum VerdictAssembler {
    /// - Parameters:
    ///   - report: the full report of the window (``ReportSource/report(_:)``, not a summary: blockers are its fields).
    ///   - routes: the routes asked about; empty = every route in the report. Naming a write route brings its
    ///     store checks along (the write is not ready unless the stores it lands in are); a named route absent
    ///     from the window is judged with no comparisons.
    public static func assemble(_ report: Report, policy: CutoverPolicy, routes names: [String] = [], now: Date = Date()) -> VerdictReport {
        var evidence: [VerdictJudge.Evidence] = []
        var storeChecks: [String: [VerdictJudge.Evidence]] = [:]
        for check in report.storeChecks {
            for row in check.stores {
                storeChecks[check.writeRoute, default: []].append(VerdictJudge.Evidence(
                    route: row.route, writeRoute: check.writeRoute, compared: row.compared, regressed: row.regressions,
                    fields: row.fields, latency: nil, firstSeen: row.firstSeen, lastSeen: row.lastSeen
                ))
            }
        }
        for route in report.routes {
            evidence.append(VerdictJudge.Evidence(
                route: route.route, compared: route.compared, regressed: route.regressed, fields: route.fields,
                latency: route.latency, firstSeen: route.firstSeen, lastSeen: route.lastSeen
            ))
            evidence += storeChecks.removeValue(forKey: route.route) ?? []
        }
        // Store checks of a write route with no HTTP comparison in the window.
        for write in storeChecks.keys.sorted() { evidence += storeChecks[write] ?? [] }

        if !names.isEmpty {
            let wanted = Set(names)
            evidence = evidence.filter { wanted.contains($0.route) || $0.writeRoute.map(wanted.contains) == true }
            let present = Set(evidence.map(\.route))
            for name in names where !present.contains(name) {
                evidence.append(VerdictJudge.Evidence(route: name, compared: 0, regressed: 0))
            }
        }
        let problems = Dictionary(grouping: report.problems, by: \.route)
        let verdicts = evidence.map { e in
            // Each route against its own targets (`cutover.routes`), a store check against its write route's.
            var verdict = VerdictJudge.judge(e, policy: policy.effective(route: e.route, writeRoute: e.writeRoute))
            verdict.customTarget = policy.targetKey(route: e.route, writeRoute: e.writeRoute)
            verdict.problems = problems[e.route] ?? []
            return verdict
        }
        return VerdictReport(
            schemaVersion: VerdictReport.currentSchemaVersion, generatedAt: now, ledger: report.ledger, filter: report.filter,
            policy: policy, status: Self.overall(verdicts), routes: verdicts
        )
    }

    /// The worst status: not ready, then not enough data (also for no routes at all), then ready.
    static func overall(_ verdicts: [RouteVerdict]) -> VerdictStatus {
        if verdicts.contains(where: { $0.status == .notReady }) { return .notReady }
        if verdicts.isEmpty || verdicts.contains(where: { $0.status == .notEnoughData }) { return .notEnoughData }
        return .ready
    }
}
