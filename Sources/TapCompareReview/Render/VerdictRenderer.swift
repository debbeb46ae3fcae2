import Foundation

/// The formats of `tapcompare verdict --format`.
public enum VerdictFormat: String, Sendable, CaseIterable {
    case table, json, markdown

    public func render(_ verdicts: VerdictReport, color: Bool) throws -> String {
        switch self {
        case .table: return VerdictRenderer(color: color).table(verdicts)
        case .json: return String(decoding: try ReportJSON.encoder().encode(verdicts), as: UTF8.self) + "\n"
        case .markdown: return VerdictRenderer(color: false).markdown(verdicts)
        }
    }
}

/// The table and Markdown forms of a ``VerdictReport``: one line per route (store checks indented under their
/// write route), then what blocks each route or what it still needs.
struct VerdictRenderer {
    var color: Bool

    func paint(_ text: String, _ style: ANSI) -> String { self.color ? style.wrap(text) : text }

    static func policy(_ v: VerdictReport) -> String {
        let p = v.policy
        var text = "regression rate ≤ \(Formatting.percent(p.maxRegressionRate)) at \(String(format: "%g%%", p.confidence * 100)) confidence (one-sided Wilson bound), "
            + "≥ \(Formatting.count(p.minComparisons)) comparisons, candidate p99 ≤ legacy p99 × \(String(format: "%g", p.maxLatencyRatio))"
        if !p.routes.isEmpty {
            text += "; \(p.routes.count) route\(p.routes.count == 1 ? " has its" : "s have their") own target (cutover.routes), marked (own)"
        }
        return text
    }

    /// The target one route was judged against, compactly: `≤ 0.050% @95%, ≥ 5,000, p99 × 1.5`, with `(own)` when it
    /// is the route's own (`cutover.routes`) rather than the `cutover:` values.
    static func target(_ r: RouteVerdict) -> String {
        "≤ \(Formatting.percent(r.target)) @\(String(format: "%g%%", r.confidence * 100)), ≥ \(Formatting.count(r.minComparisons)), p99 × \(String(format: "%g", r.maxLatencyRatio))"
            + (r.customTarget == nil ? "" : " (own)")
    }

    /// The route's name as listed: a store check shows its `@store` under its write route.
    static func name(_ r: RouteVerdict) -> String {
        guard let write = r.writeRoute, r.route.hasPrefix(write + " ") else { return r.route }
        return "  ↳ " + r.route.dropFirst(write.count + 1)
    }

    static func needed(_ r: RouteVerdict) -> String {
        guard let n = r.moreComparisonsNeeded else { return "–" }
        return "+" + Formatting.count(n)
    }

    static func eta(_ r: RouteVerdict) -> String {
        guard r.moreComparisonsNeeded != nil else { return "–" }
        guard let s = r.estimatedSeconds else { return "unknown (no traffic)" }
        return "~" + Formatting.span(s)
    }

    static func p99(_ r: RouteVerdict) -> String {
        guard let l = r.latency, let c = l.candidateP99, let g = l.legacyP99 else { return "–" }
        return "\(Formatting.number(c)) / \(Formatting.number(g))"
    }

    func style(_ s: VerdictStatus) -> ANSI {
        switch s {
        case .ready: .green
        case .notReady: .red
        case .notEnoughData: .yellow
        }
    }

    func table(_ v: VerdictReport) -> String {
        var out = self.paint("TapCompare cut-over verdict", .bold) + "  " + self.paint(v.ledger, .dim) + "\n"
        out += "Window     " + Self.window(v) + "\n"
        out += "Ready when " + Self.policy(v) + "\n\n"
        guard !v.routes.isEmpty else { return out + "No routes in this window.\n" + self.overall(v) }
        var table = TextTable(
            headers: ["STATUS", "ROUTE", "COMPARED", "REGRESSED", "RATE", "BOUND", "TARGET", "P99 C/L ms", "NEEDED", "ETA"],
            alignments: [.left, .left, .right, .right, .right, .right, .left, .right, .right, .left]
        )
        for r in v.routes {
            table.rows.append([
                .init(r.status.label, self.style(r.status)), .init(Self.name(r)), .init(Formatting.count(r.compared)),
                .init(Formatting.count(r.regressed)), .init(Formatting.percent(r.regressionRate)), .init(Formatting.percent(r.upperBound)),
                .init(Self.target(r), r.customTarget == nil ? .dim : nil), .init(Self.p99(r)), .init(Self.needed(r)), .init(Self.eta(r)),
            ])
        }
        out += table.render(color: self.color)
        for r in v.routes where r.status != .ready {
            out += "\n" + self.paint(r.route, .bold) + " — " + self.paint(r.status.label, self.style(r.status)) + "\n"
            for reason in r.reasons { out += "  · \(reason)\n" }
            for b in r.blockers {
                out += "  ✗ \(b.field) \(b.kind): \(Formatting.count(b.regressions)) regressions in \(Formatting.count(b.comparisons)) comparisons\n"
                for p in r.problems where p.field == b.field && p.kind == b.kind {
                    out += "      \(p.shape): \(Formatting.count(p.comparisons)) comparisons, e.g. \(p.exampleComparisonIds.first ?? "–")"
                    out += (p.versions.isEmpty ? "" : "; candidate \(ProblemsRendering.versions(p))") + "\n"
                }
            }
        }
        return out + "\n" + self.overall(v)
    }

    func overall(_ v: VerdictReport) -> String {
        "Overall    " + self.paint(v.status.label, self.style(v.status)) + " (exit \(v.exitCode))\n"
    }

    static func window(_ v: VerdictReport) -> String {
        "\(v.filter.from.map { Formatting.time($0) } ?? "start of ledger") → \(v.filter.to.map { Formatting.time($0) } ?? "now")"
    }

    func markdown(_ v: VerdictReport) -> String {
        typealias M = MarkdownRenderer
        var out = "# TapCompare cut-over verdict\n\n"
        out += "**\(v.status.label)** over \(M.cell(Self.window(v))). Ready when \(M.cell(Self.policy(v))).\n\n"
        guard !v.routes.isEmpty else { return out + "No routes in this window.\n" }
        out += "| Status | Route | Compared | Regressed | Rate | Upper bound | Target | p99 candidate / legacy ms | More needed | ETA |\n"
        out += "|---|---|--:|--:|--:|--:|---|--:|--:|---|\n"
        for r in v.routes {
            let name = r.writeRoute == nil ? M.code(r.route) : "↳ " + M.code(r.route)
            out += "| **\(r.status.label)** | \(name) | \(Formatting.count(r.compared)) | \(Formatting.count(r.regressed)) | \(Formatting.percent(r.regressionRate)) | \(Formatting.percent(r.upperBound)) | \(M.cell(Self.target(r))) | \(Self.p99(r)) | \(Self.needed(r)) | \(M.cell(Self.eta(r))) |\n"
        }
        for r in v.routes where r.status != .ready {
            out += "\n### \(M.code(r.route)): \(r.status.label)\n\n"
            for reason in r.reasons { out += "- \(M.cell(reason))\n" }
            for b in r.blockers {
                out += "- blocked by \(M.code(b.field)) \(b.kind): \(Formatting.count(b.regressions)) regressions in \(Formatting.count(b.comparisons)) comparisons"
                let shapes = r.problems.filter { $0.field == b.field && $0.kind == b.kind }.map {
                    "\(M.cell($0.shape)) (\(Formatting.count($0.comparisons))\($0.versions.isEmpty ? "" : "; candidate " + M.cell(ProblemsRendering.versions($0))))"
                }
                out += (shapes.isEmpty ? "" : ": " + shapes.joined(separator: ", ")) + "\n"
            }
        }
        return out
    }
}
