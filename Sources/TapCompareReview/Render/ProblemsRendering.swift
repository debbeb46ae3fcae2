import Foundation

/// "N problems": the report's signatures (``ProblemSignature``), shown first in every format — what is still
/// wrong, as a handful of bugs rather than thousands of rows.
enum ProblemsRendering {
    static func heading(_ report: Report) -> String {
        let n = report.problems.count
        return "\(Formatting.count(n)) problem\(n == 1 ? "" : "s")" + (report.problemsTruncated ? " (from the newest \(Formatting.count(LedgerReportSource.maximumSignatureRows)) regressions)" : "")
    }

    /// The reviewer's status; a `fixed` problem seen again after it was marked says so.
    static func status(_ p: ProblemSignature) -> String {
        p.fixRegressed ? "fixed, seen again" : p.status
    }

    /// `example ids`, shortened for a table cell.
    static func examples(_ p: ProblemSignature) -> String {
        p.exampleComparisonIds.joined(separator: " ")
    }
}

extension TableRenderer {
    func problems(_ report: Report) -> String {
        let out = "\n" + self.paint(ProblemsRendering.heading(report), .bold) + "\n"
        guard !report.problems.isEmpty else { return out + "  no regressions in this window\n" }
        var table = TextTable(
            headers: ["ROUTE", "FIELD", "KIND", "SHAPE", "COMPARISONS", "SHARE", "FIRST SEEN", "LAST SEEN", "EXAMPLES", "STATUS"],
            alignments: [.left, .left, .left, .left, .right, .right, .left, .left, .left, .left]
        )
        for p in report.problems {
            table.rows.append([
                .init(p.route), .init(p.field), .init(p.kind), .init(p.shape, .red), .init(Formatting.count(p.comparisons)),
                .init(Formatting.percent(p.share)), .init(Formatting.time(p.firstSeen)), .init(Formatting.time(p.lastSeen)),
                .init(ProblemsRendering.examples(p), .dim), .init(ProblemsRendering.status(p), p.fixRegressed ? .red : nil),
            ])
        }
        return out + table.render(indent: "  ", color: self.color)
    }
}

extension MarkdownRenderer {
    static func problems(_ report: Report) -> String {
        var out = "\n## \(ProblemsRendering.heading(report))\n\n"
        guard !report.problems.isEmpty else { return out + "No regressions in this window.\n" }
        out += "| Route | Field | Kind | Shape | Comparisons | Share | First seen | Last seen | Examples | Status |\n"
        out += "|---|---|---|---|--:|--:|---|---|---|---|\n"
        for p in report.problems {
            out += "| \(Self.code(p.route)) | \(Self.code(p.field)) | \(p.kind) | \(Self.cell(p.shape)) | \(Formatting.count(p.comparisons)) | \(Formatting.percent(p.share)) | \(Formatting.time(p.firstSeen)) | \(Formatting.time(p.lastSeen)) | \(p.exampleComparisonIds.map { Self.code($0) }.joined(separator: " ")) | \(p.fixRegressed ? "**fixed, seen again**" : p.status) |\n"
        }
        return out
    }
}

extension HTMLComponents {
    static func problems(_ report: Report) -> String {
        var out = "<section id=\"problems\"><h2>\(esc(ProblemsRendering.heading(report)))</h2>"
        guard !report.problems.isEmpty else { return out + "<p class=\"muted\">No regressions in this window.</p></section>" }
        out += "<table class=\"problems\"><thead><tr><th>Route</th><th>Field</th><th>Kind</th><th>Shape</th><th class=\"n\">Comparisons</th><th class=\"n\">Share</th><th>First seen</th><th>Last seen</th><th>Examples</th><th>Status</th></tr></thead><tbody>"
        for p in report.problems {
            out += "<tr data-problem=\"\(esc(p.id))\"><td><code>\(esc(p.route))</code></td><td><code>\(esc(p.field))</code></td><td>\(esc(p.kind))</td>"
            out += "<td class=\"bad\">\(esc(p.shape))</td><td class=\"n\">\(Formatting.count(p.comparisons))</td><td class=\"n\">\(Formatting.percent(p.share))</td>"
            out += "<td class=\"time\">\(Formatting.time(p.firstSeen))</td><td class=\"time\">\(Formatting.time(p.lastSeen))</td>"
            out += "<td>" + p.exampleComparisonIds.map { "<code>\(esc($0))</code>" }.joined(separator: " ") + "</td>"
            out += "<td\(p.fixRegressed ? " class=\"bad\"" : "") data-status=\"\(esc(p.status))\">\(esc(ProblemsRendering.status(p)))</td></tr>"
        }
        return out + "</tbody></table></section>"
    }
}
