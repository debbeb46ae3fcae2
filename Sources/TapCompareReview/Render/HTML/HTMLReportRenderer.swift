import Foundation
import TapCompareLedger

/// The self-contained HTML report: one file, inline CSS and SVG, no script and no external reference, so it
/// opens offline, from a CI artifact or an e-mail attachment.
///
/// Drill-down without script: each route's section lists its fields; a field opens (`<details>`) onto its
/// example comparisons, each opening onto legacy and candidate bodies side by side with the differing paths
/// highlighted.
public struct HTMLReportRenderer: Sendable {
    public init() {}

    /// - Parameters:
    ///   - report: The report.
    ///   - comparisons: The example comparisons by id (see ``exampleIDs(of:)``); examples without one show only
    ///     their values.
    public func render(_ report: Report, comparisons: [String: ComparisonDetail]) -> String {
        var body = HTMLComponents.cards(report.overview)
        body += HTMLComponents.gaps(report.gaps)
        body += HTMLComponents.problems(report)
        body += "<div class=\"charts\"><section><h2>Mismatch rate over time</h2>\(SVGCharts.timeline(report.timeline))</section>"
        body += "<section><h2>Latency, legacy against candidate</h2>\(SVGCharts.latency(report.routes))</section></div>"
        if report.routes.isEmpty {
            body += "<p>No comparisons in this window.</p>"
        } else {
            body += "<h2>Routes by impact</h2>"
            body += HTMLComponents.routesTable(report.routes) { "#route-\(Self.anchor($0))" }
        }
        body += Self.storeChecks(report.storeChecks, comparisons: comparisons)
        for r in report.routes {
            body += "<section class=\"route\" id=\"route-\(Self.anchor(r.route))\"><h2><code>\(esc(r.route))</code> <span class=\"\(HTMLComponents.rateClass(r.regressed))\">\(Formatting.percent(r.mismatchRate))</span></h2>"
            body += HTMLComponents.statusLine(r)
            if r.fields.isEmpty { body += "<p class=\"muted\">No field differences.</p></section>"; continue }
            for f in r.fields { body += Self.field(f, comparisons: comparisons) }
            body += "</section>"
        }
        if let noise = report.learnedNoise { body += Self.learnedNoise(noise) }
        body += "<p class=\"muted\">Generated \(Formatting.time(report.generatedAt)) from <code>\(esc(report.ledger))</code> by <code>tapcompare report</code>.</p>"
        return HTMLComponents.page(title: "TapCompare report", meta: HTMLComponents.windowLine(report), body: body)
    }

    /// One field: its counts, suggestion and examples, each opening onto its comparison.
    static func field(_ f: FieldReport, comparisons: [String: ComparisonDetail]) -> String {
        var body = "<details class=\"field\"><summary><code>\(esc(f.field))</code> <span class=\"muted\">\(esc(f.kind))</span> — "
        body += "\(Formatting.count(f.comparisons)) comparisons (\(Formatting.percent(f.share))) \(HTMLComponents.classificationPills(f))"
        if f.suggestion != nil { body += " <span class=\"pill\">probably noise</span>" }
        body += "</summary><div class=\"inner\"><p class=\"muted\">First seen \(Formatting.time(f.firstSeen)), last seen \(Formatting.time(f.lastSeen)); \(Formatting.count(f.occurrences)) occurrences.</p>"
        if let s = f.suggestion { body += HTMLComponents.suggestion(s, field: f.field) }
        for e in f.examples {
            body += "<details class=\"example\"><summary><code>\(esc(e.path.isEmpty ? f.field : e.path))</code>: \(HTMLComponents.exampleValues(e)) <span class=\"muted\">\(Formatting.time(e.recordedAt))</span></summary><div class=\"inner\">"
            if let c = comparisons[e.comparisonId] {
                body += HTMLComponents.comparisonFacts(c) + HTMLComponents.sideBySide(c) + HTMLComponents.discrepancyTable(c)
            } else {
                body += "<p class=\"muted\">Comparison \(esc(e.comparisonId)) is no longer in the ledger.</p>"
            }
            body += "</div></details>"
        }
        body += "</div></details>"
        return body
    }

    /// The thresholds in force and the fields the live model classifies as noise.
    static func learnedNoise(_ noise: LearnedNoiseReport) -> String {
        var out = "<section id=\"learned-noise\"><h2>Learned noise</h2><p class=\"muted\">\(esc(Formatting.noiseSettings(noise))). "
        out += "Fields legacy itself keeps changing are noise where a comparison had no baseline of its own.</p>"
        let classified = noise.fields.filter(\.classifiedAsNoise)
        if !classified.isEmpty {
            out += "<table><thead><tr><th>Route</th><th>Field</th><th class=\"n\">Noisy in</th><th class=\"n\">Share</th></tr></thead><tbody>"
            for f in classified {
                out += "<tr><td><code>\(esc(f.route))</code></td><td><code>\(esc(f.field))</code></td>"
                out += "<td class=\"n\">\(Formatting.count(f.noisyIn)) of \(Formatting.count(f.samples))</td><td class=\"n\">\(Formatting.percent(f.share))</td></tr>"
            }
            out += "</tbody></table>"
        }
        return out + "</section>"
    }

    /// The comparisons the report's examples point at, to fetch before rendering.
    public static func exampleIDs(of report: Report) -> [String] {
        var seen = Set<String>()
        var ids: [String] = []
        let fields = report.routes.flatMap(\.fields) + report.storeChecks.flatMap { $0.stores.flatMap(\.fields) }
        for f in fields {
            for e in f.examples where seen.insert(e.comparisonId).inserted { ids.append(e.comparisonId) }
        }
        return ids
    }

    /// An id-safe anchor for a route (`GET-api-v1-comments-id`).
    static func anchor(_ route: String) -> String {
        var out = ""
        var lastDash = true
        for c in route.unicodeScalars {
            if CharacterSet.alphanumerics.contains(c) && c.isASCII {
                out.unicodeScalars.append(c)
                lastDash = false
            } else if !lastDash {
                out += "-"
                lastDash = true
            }
        }
        return out.hasSuffix("-") ? String(out.dropLast()) : out
    }
}
