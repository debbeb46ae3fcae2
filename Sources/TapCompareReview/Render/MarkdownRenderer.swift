import Foundation
import TapCompareLedger

/// The Markdown form of a report, for pull-request comments and CI summaries (GitHub-flavoured tables).
public struct MarkdownRenderer: Sendable {
    public init() {}

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func code(_ text: String) -> String {
        "`" + cell(text).replacingOccurrences(of: "`", with: "'") + "`"
    }

    public func render(_ report: Report) -> String {
        let o = report.overview
        var out = "# TapCompare report\n\n"
        out += "**Mismatch rate \(Formatting.percent(o.mismatchRate))** — \(Formatting.count(o.regressed)) of \(Formatting.count(o.compared)) compared requests regressed"
        if o.noiseOrRaceOnly > 0 {
            out += " (\(Formatting.count(o.noiseOrRaceOnly)) more differed by noise or races only: noise \(Formatting.count(o.noiseOnly)), races \(Formatting.count(o.raceOnly)))"
        }
        out += ".\n\n"
        out += "| | |\n|---|---|\n"
        out += "| Window | \(Self.cell(TableRenderer.window(report))) |\n"
        out += "| Ledger | \(Self.code(report.ledger)) |\n"
        out += "| Comparisons | \(Formatting.count(o.comparisons)) (matches \(Formatting.count(o.matches)), mismatches \(Formatting.count(o.mismatches))) |\n"
        out += "| Candidate errors / timeouts | \(Formatting.count(o.candidateErrors)) / \(Formatting.count(o.candidateTimeouts)) |\n"
        out += "| Skipped | \(Formatting.count(o.skipped))\(o.skipsByReason.isEmpty ? "" : ": " + o.skipsByReason.map { "\(Self.cell($0.reason)) \(Formatting.count($0.count))" }.joined(separator: ", ")) |\n"
        if !o.instances.isEmpty {
            out += "| Instances | \(o.instances.map { "\(Self.cell($0.instance)) (\(Formatting.count($0.comparisons)))" }.joined(separator: ", ")) |\n"
        }
        if let noise = report.learnedNoise {
            out += "| Learned noise | \(Self.cell(Formatting.noiseSettings(noise))) |\n"
        }
        if !report.gaps.isEmpty {
            out += "\n> **Gaps:** " + report.gaps.map { "\(Formatting.missingComparisons($0.count)) missing from \($0.instance) (\($0.reason), \(Formatting.time($0.from)) → \(Formatting.time($0.to)))" }.joined(separator: "; ") + "\n"
        }
        out += Self.problems(report)
        guard !report.routes.isEmpty else { return out + "\nNo comparisons in this window.\n" + Self.storeChecks(report) + Self.learnedNoise(report) }
        out += "\n## Routes by impact\n\n"
        out += "| Route | Compared | Mismatch rate | Regressed | Noise/race only | Errors | Timeouts | Legacy p50/p90/p99 ms | Candidate p50/p90/p99 ms | p99 ratio |\n"
        out += "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
        for r in report.routes {
            out += "| \(Self.code(r.route)) | \(Formatting.count(r.compared)) | **\(Formatting.percent(r.mismatchRate))** | \(Formatting.count(r.regressed)) | \(Formatting.count(r.noiseOrRaceOnly)) | \(Formatting.count(r.candidateErrors)) | \(Formatting.count(r.candidateTimeouts)) | \(Formatting.percentiles(r.latency.legacy)) | \(Formatting.percentiles(r.latency.candidate)) | \(r.latency.ratio.map { Formatting.ratio($0.p99) } ?? "–") |\n"
        }
        for r in report.routes where !r.fields.isEmpty {
            out += "\n### \(Self.code(r.route))\n\n"
            out += "Status: legacy \(Formatting.statusMix(r.legacyStatus)); candidate \(Formatting.statusMix(r.candidateStatus)).\n\n"
            out += Self.fieldsTable(r.fields)
        }
        return out + Self.storeChecks(report) + Self.learnedNoise(report)
    }

    /// A list of fields with their counts, example and suggestions.
    static func fieldsTable(_ fields: [FieldReport]) -> String {
        var out = ""
        out += "| Field | Kind | Comparisons | Share | Regression | Noise | Race | First seen | Last seen | Example (legacy → candidate) |\n"
        out += "|---|---|--:|--:|--:|--:|--:|---|---|---|\n"
        for f in fields {
            let example = f.examples.first.map { "\(Self.code(Formatting.value($0.legacyValue, limit: 30))) → \(Self.code(Formatting.value($0.candidateValue, limit: 30)))" } ?? ""
            out += "| \(Self.code(f.field)) | \(f.kind) | \(Formatting.count(f.comparisons)) | \(Formatting.percent(f.share)) | \(Formatting.count(f.regressions)) | \(Formatting.count(f.noise)) | \(Formatting.count(f.races)) | \(Formatting.time(f.firstSeen)) | \(Formatting.time(f.lastSeen)) | \(example) |\n"
        }
        for f in fields {
            if let s = f.suggestion {
                out += "\n**Suggestion** for \(Self.code(f.field)): \(s.reason). Add to `diff-rules/`:\n\n```yaml\n\(s.rule)```\n"
            }
        }
        return out
    }

    static func learnedNoise(_ report: Report) -> String {
        guard let noise = report.learnedNoise, noise.fields.contains(where: \.classifiedAsNoise) else { return "" }
        var out = "\n## Learned noise\n\nFields legacy itself keeps changing, classified as noise where a comparison had no baseline of its own.\n\n"
        out += "| Route | Field | Noisy in | Share |\n|---|---|--:|--:|\n"
        for f in noise.fields where f.classifiedAsNoise {
            out += "| \(Self.code(f.route)) | \(Self.code(f.field)) | \(Formatting.count(f.noisyIn)) of \(Formatting.count(f.samples)) | \(Formatting.percent(f.share)) |\n"
        }
        return out
    }
}
