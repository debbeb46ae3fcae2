import Foundation

/// Inline SVG charts (no script, no external asset): they render in a saved file, offline, and in print.
enum SVGCharts {
    static let legacyColor = "#6b7a90"
    static let candidateColor = "#e0871b"

    /// Legacy against candidate latency at p50, p90 and p99, one block per route, on one shared scale.
    static func latency(_ routes: [RouteReport]) -> String {
        let shown = routes.filter { $0.latency.legacy != nil || $0.latency.candidate != nil }
        guard !shown.isEmpty else { return "<p class=\"muted\">No latency measured in this window.</p>" }
        let maxValue = shown.flatMap { r in [r.latency.legacy?.p99, r.latency.candidate?.p99].compactMap { $0 } }.max() ?? 1
        let width = 560.0, labelWidth = 40.0, barArea = width - labelWidth - 70
        let bar = 11.0, rowGap = 6.0, blockGap = 26.0
        var y = 20.0
        var body = ""
        body += "<g font-size=\"12\"><rect x=\"\(labelWidth)\" y=\"2\" width=\"10\" height=\"10\" fill=\"\(legacyColor)\"/><text x=\"\(labelWidth + 14)\" y=\"11\">legacy</text>"
        body += "<rect x=\"\(labelWidth + 70)\" y=\"2\" width=\"10\" height=\"10\" fill=\"\(candidateColor)\"/><text x=\"\(labelWidth + 84)\" y=\"11\">candidate</text></g>"
        y += 8
        for r in shown {
            body += "<text x=\"0\" y=\"\(y + 10)\" font-size=\"13\" font-weight=\"600\">\(esc(r.route))</text>"
            if let ratio = r.latency.ratio {
                let faster = ratio.p99 < 1
                body += "<text x=\"\(width)\" y=\"\(y + 10)\" font-size=\"12\" text-anchor=\"end\" fill=\"\(faster ? "#1a7f37" : "#b42318")\">p99 ×\(String(format: "%.2f", ratio.p99)) (\(faster ? "faster" : "slower"))</text>"
            }
            y += 18
            let rows: [(String, Double?, Double?)] = [
                ("p50", r.latency.legacy?.p50, r.latency.candidate?.p50),
                ("p90", r.latency.legacy?.p90, r.latency.candidate?.p90),
                ("p99", r.latency.legacy?.p99, r.latency.candidate?.p99),
            ]
            for (label, legacy, candidate) in rows {
                body += "<text x=\"\(labelWidth - 8)\" y=\"\(y + bar + 2)\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">\(label)</text>"
                for (i, value) in [legacy, candidate].enumerated() {
                    guard let value else { continue }
                    let w = max(1, barArea * value / maxValue)
                    let by = y + Double(i) * bar
                    body += "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(String(format: "%.1f", w))\" height=\"\(bar - 1)\" fill=\"\(i == 0 ? legacyColor : candidateColor)\"><title>\(i == 0 ? "legacy" : "candidate") \(label) \(Formatting.milliseconds(value))</title></rect>"
                    body += "<text x=\"\(String(format: "%.1f", labelWidth + w + 4))\" y=\"\(by + bar - 1.5)\" font-size=\"9.5\" fill=\"#333\">\(Formatting.milliseconds(value))</text>"
                }
                y += 2 * bar + rowGap
            }
            y += blockGap - rowGap
        }
        return "<svg class=\"chart\" role=\"img\" aria-label=\"Latency percentiles per route, legacy against candidate\" viewBox=\"0 0 \(Int(width) + 10) \(Int(y))\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\(body)</svg>"
    }

    /// Regression rate per time bucket as bars; buckets with no compared request are drawn as a grey tick.
    static func timeline(_ timeline: Timeline) -> String {
        let buckets = timeline.buckets
        guard !buckets.isEmpty, buckets.contains(where: { $0.compared > 0 }) else {
            return "<p class=\"muted\">No compared requests in this window.</p>"
        }
        let width = 560.0, height = 170.0, left = 52.0, bottom = 22.0, top = 8.0
        let plotW = width - left - 8, plotH = height - bottom - top
        let maxRate = max(buckets.map(\.mismatchRate).max() ?? 0, 0.0001)
        let scale = niceCeiling(maxRate)
        let step = plotW / Double(buckets.count)
        var body = ""
        for frac in [0.0, 0.5, 1.0] {
            let y = top + plotH * (1 - frac)
            body += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 8)\" y2=\"\(y)\" stroke=\"#e5e7eb\"/>"
            body += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">\(Formatting.percent(scale * frac))</text>"
        }
        for (i, b) in buckets.enumerated() {
            let x = left + Double(i) * step + step * 0.1
            let w = max(1, step * 0.8)
            if b.compared == 0 {
                body += "<rect x=\"\(fmt(x))\" y=\"\(fmt(top + plotH - 1))\" width=\"\(fmt(w))\" height=\"1\" fill=\"#d0d5dd\"/>"
                continue
            }
            let h = max(b.regressed > 0 ? 2 : 0.5, plotH * b.mismatchRate / scale)
            body += "<rect x=\"\(fmt(x))\" y=\"\(fmt(top + plotH - h))\" width=\"\(fmt(w))\" height=\"\(fmt(h))\" fill=\"\(b.regressed > 0 ? "#d92d20" : "#12b76a")\"><title>\(Formatting.time(b.start)): \(Formatting.percent(b.mismatchRate)) (\(b.regressed) of \(b.compared))</title></rect>"
        }
        body += "<text x=\"\(left)\" y=\"\(height - 6)\" font-size=\"10\" fill=\"#555\">\(Formatting.time(buckets.first?.start))</text>"
        body += "<text x=\"\(width - 8)\" y=\"\(height - 6)\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">\(Formatting.time(buckets.last.map { $0.start.addingTimeInterval(Double(timeline.bucketSeconds)) }))</text>"
        return "<svg class=\"chart\" role=\"img\" aria-label=\"Mismatch rate over time\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\(body)</svg>"
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let exponent = floor(log10(value))
        let base = pow(10, exponent)
        for m in [1.0, 2.0, 5.0, 10.0] where m * base >= value { return min(1, m * base) }
        return min(1, 10 * base)
    }
}
