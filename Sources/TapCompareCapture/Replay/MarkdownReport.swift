import Foundation
import TapCompareCore

/// Writes a replay's summary as Markdown fit for a CI job summary page (GitHub's `$GITHUB_STEP_SUMMARY`,
/// GitLab's report artifacts): the verdict first, a table of routes, then the differing fields of each route
/// with one example, then the latencies and the load (``ReplayLoad/markdown``). Deterministic like
/// ``JUnitReport`` without the timings (`timings: false`): routes and fields in a fixed order.
public enum MarkdownReport {
    public static func render(_ summary: ReplaySummary, verdict: ReplayVerdict, candidate: String, runID: String, timings: Bool = true) -> String {
        var md = "## TapCompare replay: \(verdict.exitCode == 0 ? "passed ✅" : verdict.exitCode == 1 ? "failed ❌" : "error ⚠️")\n\n"
        md += "\(Self.sentence(verdict.reason))\n\n"
        md += "Candidate `\(candidate)` · run `\(runID)` · \(summary.total) exchanges: \(summary.matched) matched, "
        md += "\(summary.mismatched) mismatched, \(summary.candidateErrors) candidate errors, \(summary.candidateTimeouts) timeouts"
        let skipped = summary.skipped
        if !skipped.isEmpty {
            md += ", " + "\(skipped.values.reduce(0, +)) skipped ("
                + skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        md += ".\n\n"
        for end in summary.truncatedCaptureEnds {
            md += "Skipped `\(cell(end.file)):\(end.line)`: the last line is cut short (\(end.bytes) bytes and no newline, what a write that failed left of a record).\n\n"
        }
        md += "| Route | Judged | Matched | Mismatched | Rate | Errors | Skipped |\n"
        md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for r in summary.sortedRoutes {
            let rate = r.judged == 0 ? "–" : ReplayVerdict.percent(Double(r.failing) / Double(r.judged))
            md += "| `\(cell(r.route))` | \(r.judged) | \(r.matched) | \(r.mismatched) | \(rate) | \(r.candidateErrors + r.candidateTimeouts) | \(r.skippedTotal) |\n"
        }
        for r in summary.sortedRoutes where !r.fields.isEmpty || r.firstError != nil {
            md += "\n### `\(cell(r.route))`\n\n"
            if !r.fields.isEmpty {
                md += "| Field | Kind | Exchanges | Example | Legacy | Candidate |\n"
                md += "| --- | --- | ---: | --- | --- | --- |\n"
                for (key, stats) in r.sortedFields {
                    let e = stats.example
                    let noise = stats.classification == .regression ? "" : " (\(stats.classification.rawValue))"
                    md += "| `\(cell(key.field))` | \(key.kind.rawValue)\(noise) | \(stats.exchanges) | `\(cell(e.method)) \(cell(JUnitReport.clip(e.uri, 80)))` at `\(cell(e.path.isEmpty ? "/" : e.path))` | "
                    md += "\(code(e.legacyValue)) | \(code(e.candidateValue)) |\n"
                }
            }
            if let e = r.firstError {
                md += "\nFirst candidate error: `\(cell(e.uri))` (request id `\(cell(e.requestID))`): \(cell(e.reason))\n"
            }
        }
        if timings { md += "\n" + summary.load.markdown }
        if !summary.rewrites.isEmpty { md += "\nRewritten before sending: \(summary.rewrites.sentence).\n" }
        return md
    }

    private static func sentence(_ reason: String) -> String {
        guard let first = reason.first else { return reason }
        return first.uppercased() + reason.dropFirst() + "."
    }

    private static func code(_ value: String?) -> String {
        guard let value else { return "*(absent)*" }
        return "`" + cell(JUnitReport.clip(value, 80)) + "`"
    }

    /// Keeps a value inside one table cell: pipes escaped, newlines and backticks replaced.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "`", with: "ˋ")
    }
}
