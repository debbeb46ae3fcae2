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

    /// `2.4.1 ×3, 2.4.0 ×1 (+2 more)`: the candidate versions it was seen with, most recent first; `–` when none
    /// was recorded.
    static func versions(_ p: ProblemSignature) -> String {
        guard !p.versions.isEmpty else { return "–" }
        return p.versions.map { "\($0.version) ×\(Formatting.count($0.comparisons))" }.joined(separator: ", ")
            + (p.moreVersions > 0 ? " (+\(Formatting.count(p.moreVersions)) more)" : "")
    }

    /// `Problems that come together`: the heading of the signature sets.
    static let setsHeading = "Problems that come together"

    /// `A + B`: a set's problems.
    static func members(_ set: SignatureSet) -> String {
        set.labels.joined(separator: " + ")
    }

    /// The sentence under the sets: what a share is of, and the comparisons in sets not listed.
    static func setsNote(_ report: Report) -> String {
        var note = "Comparisons by the set of problems they carry; share of the comparisons carrying a problem."
        if report.signatureSetsOmitted > 0 {
            note += " \(Formatting.count(report.signatureSetsOmitted)) more comparisons carry sets not listed."
        }
        return note
    }
}

extension TableRenderer {
    func problems(_ report: Report) -> String {
        let out = "\n" + self.paint(ProblemsRendering.heading(report), .bold) + "\n"
        guard !report.problems.isEmpty else { return out + "  no regressions in this window\n" }
        var table = TextTable(
            headers: ["ROUTE", "FIELD", "KIND", "SHAPE", "COMPARISONS", "SHARE", "VERSIONS", "FIRST SEEN", "LAST SEEN", "EXAMPLES", "STATUS"],
            alignments: [.left, .left, .left, .left, .right, .right, .left, .left, .left, .left, .left]
        )
        for p in report.problems {
            table.rows.append([
                .init(p.route), .init(p.field), .init(p.kind), .init(p.shape, .red), .init(Formatting.count(p.comparisons)),
                .init(Formatting.percent(p.share)), .init(ProblemsRendering.versions(p)), .init(Formatting.time(p.firstSeen)),
                .init(Formatting.time(p.lastSeen)), .init(ProblemsRendering.examples(p), .dim),
                .init(ProblemsRendering.status(p), p.fixRegressed ? .red : nil),
            ])
        }
        return out + table.render(indent: "  ", color: self.color) + self.signatureSets(report)
    }

    func signatureSets(_ report: Report) -> String {
        guard !report.signatureSets.isEmpty else { return "" }
        let out = "\n" + self.paint(ProblemsRendering.setsHeading, .bold) + "  " + self.paint(ProblemsRendering.setsNote(report), .dim) + "\n"
        var table = TextTable(headers: ["ROUTE", "PROBLEMS", "COMPARISONS", "SHARE"], alignments: [.left, .left, .right, .right])
        for set in report.signatureSets {
            table.rows.append([
                .init(set.route), .init(ProblemsRendering.members(set), set.signatures.count > 1 ? .yellow : nil),
                .init(Formatting.count(set.comparisons)), .init(Formatting.percent(set.share)),
            ])
        }
        return out + table.render(indent: "  ", color: self.color)
    }
}

extension MarkdownRenderer {
    static func problems(_ report: Report) -> String {
        var out = "\n## \(ProblemsRendering.heading(report))\n\n"
        guard !report.problems.isEmpty else { return out + "No regressions in this window.\n" }
        out += "| Route | Field | Kind | Shape | Comparisons | Share | Versions | First seen | Last seen | Examples | Status |\n"
        out += "|---|---|---|---|--:|--:|---|---|---|---|---|\n"
        for p in report.problems {
            out += "| \(Self.code(p.route)) | \(Self.code(p.field)) | \(p.kind) | \(Self.cell(p.shape)) | \(Formatting.count(p.comparisons)) | \(Formatting.percent(p.share)) | \(Self.cell(ProblemsRendering.versions(p))) | \(Formatting.time(p.firstSeen)) | \(Formatting.time(p.lastSeen)) | \(p.exampleComparisonIds.map { Self.code($0) }.joined(separator: " ")) | \(p.fixRegressed ? "**fixed, seen again**" : p.status) |\n"
        }
        return out + Self.signatureSets(report)
    }

    static func signatureSets(_ report: Report) -> String {
        guard !report.signatureSets.isEmpty else { return "" }
        var out = "\n### \(ProblemsRendering.setsHeading)\n\n\(ProblemsRendering.setsNote(report))\n\n"
        out += "| Route | Problems | Comparisons | Share |\n|---|---|--:|--:|\n"
        for set in report.signatureSets {
            out += "| \(Self.code(set.route)) | \(set.labels.map { Self.code($0) }.joined(separator: " + ")) | \(Formatting.count(set.comparisons)) | \(Formatting.percent(set.share)) |\n"
        }
        return out
    }
}

extension HTMLComponents {
    static func problems(_ report: Report) -> String {
        var out = "<section id=\"problems\"><h2>\(esc(ProblemsRendering.heading(report)))</h2>"
        guard !report.problems.isEmpty else { return out + "<p class=\"muted\">No regressions in this window.</p></section>" }
        out += "<table class=\"problems\"><thead><tr><th>Route</th><th>Field</th><th>Kind</th><th>Shape</th><th class=\"n\">Comparisons</th><th class=\"n\">Share</th><th>Versions</th><th>First seen</th><th>Last seen</th><th>Examples</th><th>Status</th></tr></thead><tbody>"
        for p in report.problems {
            out += "<tr data-problem=\"\(esc(p.id))\"><td><code>\(esc(p.route))</code></td><td><code>\(esc(p.field))</code></td><td>\(esc(p.kind))</td>"
            out += "<td class=\"bad\">\(esc(p.shape))</td><td class=\"n\">\(Formatting.count(p.comparisons))</td><td class=\"n\">\(Formatting.percent(p.share))</td>"
            out += "<td class=\"versions\">\(esc(ProblemsRendering.versions(p)))</td>"
            out += "<td class=\"time\">\(Formatting.time(p.firstSeen))</td><td class=\"time\">\(Formatting.time(p.lastSeen))</td>"
            out += "<td>" + p.exampleComparisonIds.map { "<code>\(esc($0))</code>" }.joined(separator: " ") + "</td>"
            out += "<td\(p.fixRegressed ? " class=\"bad\"" : "") data-status=\"\(esc(p.status))\">\(esc(ProblemsRendering.status(p)))</td></tr>"
        }
        return out + "</tbody></table>" + Self.signatureSets(report) + "</section>"
    }

    static func signatureSets(_ report: Report) -> String {
        guard !report.signatureSets.isEmpty else { return "" }
        var out = "<h3>\(esc(ProblemsRendering.setsHeading))</h3><p class=\"muted\">\(esc(ProblemsRendering.setsNote(report)))</p>"
        out += "<table class=\"signature-sets\"><thead><tr><th>Route</th><th>Problems</th><th class=\"n\">Comparisons</th><th class=\"n\">Share</th></tr></thead><tbody>"
        for set in report.signatureSets {
            out += "<tr data-problems=\"\(esc(set.signatures.joined(separator: " ")))\"><td><code>\(esc(set.route))</code></td>"
            out += "<td>" + set.labels.map { "<code>\(esc($0))</code>" }.joined(separator: " + ") + "</td>"
            out += "<td class=\"n\">\(Formatting.count(set.comparisons))</td><td class=\"n\">\(Formatting.percent(set.share))</td></tr>"
        }
        return out + "</tbody></table>"
    }
}
