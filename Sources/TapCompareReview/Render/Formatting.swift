import Foundation
import TapCompareLedger

/// Number and time spellings shared by every format, so the table, Markdown and HTML say the same thing.
enum Formatting {
    /// `2.50%`, `0%`, `100%`; small non-zero rates keep two significant decimals (`0.012%`).
    static func percent(_ rate: Double) -> String {
        let p = rate * 100
        if p == 0 { return "0%" }
        if p == 100 { return "100%" }
        if p < 0.1 { return String(format: "%.3f%%", p) }
        return String(format: "%.2f%%", p)
    }

    /// `12.3 ms`, `850 ms`, `1.25 s`.
    static func milliseconds(_ ms: Double) -> String {
        if ms >= 10_000 { return String(format: "%.1f s", ms / 1000) }
        if ms >= 1000 { return String(format: "%.2f s", ms / 1000) }
        if ms >= 100 { return String(format: "%.0f ms", ms) }
        return String(format: "%.1f ms", ms)
    }

    /// A bare number for table cells (`12.3`).
    static func number(_ ms: Double) -> String {
        if ms >= 100 { return String(format: "%.0f", ms) }
        return String(format: "%.1f", ms)
    }

    /// `0.50×`: candidate ÷ legacy.
    static func ratio(_ r: Double) -> String { String(format: "%.2f×", r) }

    /// `1,234,567`.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// The comparisons a gap says are missing: `1,234 comparisons`, or `an unknown number of comparisons` for a gap
    /// of count 0 (``LedgerGap/count``: a damaged spool frame, whose comparisons cannot be counted).
    static func missingComparisons(_ n: Int) -> String {
        n == 0 ? "an unknown number of comparisons" : "\(Self.count(n)) comparisons"
    }

    /// `2026-11-22 02:04:33Z` (seconds are enough for reading; the JSON keeps milliseconds).
    static func time(_ date: Date?) -> String {
        guard let date else { return "–" }
        let text = LedgerTime.format(date)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8)) + "Z"
    }

    /// `3d 4h`, `2h 5m`, `45s`.
    static func span(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s >= 86_400 { return "\(s / 86_400)d \(s % 86_400 / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        if s >= 60 { return "\(s / 60)m \(s % 60)s" }
        return "\(s)s"
    }

    /// `200×95 404×5`, `none` for a side that did not answer.
    static func statusMix(_ counts: [StatusCount]) -> String {
        counts.map { "\($0.status.map(String.init) ?? "none")×\(Self.count($0.count))" }.joined(separator: " ")
    }

    /// A JSON value shortened for a table cell.
    static func value(_ json: String?, limit: Int = 40) -> String {
        guard let json else { return "(absent)" }
        let flat = json.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }

    static func percentiles(_ p: Percentiles?) -> String {
        guard let p else { return "–" }
        return "\(number(p.p50)) / \(number(p.p90)) / \(number(p.p99))"
    }

    /// The learned-noise thresholds in force, one clause per distinct setting (instances normally share one).
    static func noiseSettings(_ report: LearnedNoiseReport) -> String {
        var seen: [String] = []
        for m in report.models {
            let text = m.learning
                ? "min_share \(String(format: "%.2f", m.minShare)), min_samples \(m.minSamples), window \(m.window)"
                : "not learning (no baseline: set noise.replay_legacy or secondary:)"
            if !seen.contains(text) { seen.append(text) }
        }
        let classified = report.fields.filter(\.classifiedAsNoise).count
        return seen.joined(separator: "; ") + " — \(count(classified)) field\(classified == 1 ? "" : "s") classified as noise"
    }
}

