import Crypto
import Foundation
import TapCompareLedger

/// The pieces of the HTML report (the web UI draws the same pieces with the same classes in ``UIScript``).
enum HTMLComponents {
    /// A whole page: inline stylesheet, no script, nothing fetched from anywhere else, and a
    /// `Content-Security-Policy` that says so (``contentSecurityPolicy``).
    static func page(title: String, meta: String, body: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(Self.contentSecurityPolicy)\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>\(esc(title))</title><style>\(Stylesheet.css)</style></head><body>"
        out += "<header class=\"top\"><h1>\(esc(title))</h1><span class=\"meta\">\(meta)</span></header><main>"
        out += body
        out += "</main></body></html>\n"
        return out
    }

    /// The report's policy: nothing loads or runs but its own inline stylesheet (allowed by its SHA-256, not by
    /// `'unsafe-inline'`) and inline images. The report has no script and escapes everything it shows; the policy
    /// is defence in depth should a recorded body ever get past the escaping. (`frame-ancestors` cannot be set
    /// from a `<meta>` tag; a report is a file, opened directly.)
    static let contentSecurityPolicy: String = {
        let digest = Data(SHA256.hash(data: Data(Stylesheet.css.utf8))).base64EncodedString()
        return "default-src 'none'; style-src 'sha256-\(digest)'; img-src data:; base-uri 'none'; form-action 'none'"
    }()

    static func rateClass(_ regressed: Int) -> String { regressed > 0 ? "bad" : "good" }

    /// The headline cards: the mismatch rate (regressions only) first and largest.
    static func cards(_ o: Overview) -> String {
        var out = "<div class=\"cards\" id=\"overview\">"
        out += "<div class=\"card hero\"><div class=\"label\">Mismatch rate (regressions)</div><div class=\"value \(rateClass(o.regressed))\" id=\"mismatch-rate\">\(Formatting.percent(o.mismatchRate))</div>"
        out += "<div class=\"sub\">\(Formatting.count(o.regressed)) of \(Formatting.count(o.compared)) compared requests</div></div>"
        out += card("Compared", Formatting.count(o.compared), sub: "\(Formatting.count(o.matches)) matched")
        out += card("Noise / race only", Formatting.count(o.noiseOrRaceOnly), sub: "noise \(Formatting.count(o.noiseOnly)) · races \(Formatting.count(o.raceOnly)); not counted")
        let errorReason = o.errorsByReason.first { $0.reason.hasPrefix("error: ") }.map { esc(String($0.reason.dropFirst(7))) } ?? ""
        let timeoutReason = o.errorsByReason.first { $0.reason.hasPrefix("timeout: ") }.map { esc(String($0.reason.dropFirst(9))) } ?? ""
        out += card("Candidate errors", Formatting.count(o.candidateErrors), sub: errorReason, cls: o.candidateErrors > 0 ? "warn" : "")
        out += card("Timeouts", Formatting.count(o.candidateTimeouts), sub: timeoutReason, cls: o.candidateTimeouts > 0 ? "warn" : "")
        out += card("Skipped", Formatting.count(o.skipped), sub: o.skipsByReason.prefix(2).map { "\(esc($0.reason)) \(Formatting.count($0.count))" }.joined(separator: ", "))
        out += "</div>"
        return out
    }

    static func card(_ label: String, _ value: String, sub: String = "", cls: String = "") -> String {
        "<div class=\"card\"><div class=\"label\">\(esc(label))</div><div class=\"value \(cls)\">\(value)</div><div class=\"sub\">\(sub)</div></div>"
    }

    static func windowLine(_ report: Report) -> String {
        var parts = [esc(TableRenderer.window(report))]
        if !report.overview.instances.isEmpty {
            parts.append("instances " + report.overview.instances.map { "\(esc($0.instance)) (\(Formatting.count($0.comparisons)))" }.joined(separator: ", "))
        }
        return parts.joined(separator: " · ")
    }

    static func gaps(_ gaps: [GapReport]) -> String {
        gaps.map { g in
            let missing = Formatting.missingComparisons(g.count)
            return "<div class=\"banner\"><strong>\(missing.prefix(1).uppercased() + missing.dropFirst()) are missing</strong> from \(esc(g.instance)) (\(esc(g.reason))) between \(Formatting.time(g.from)) and \(Formatting.time(g.to)): figures in this window undercount.</div>"
        }.joined()
    }

    /// Routes by impact. `link` gives each route's drill-down target (an anchor in the report).
    static func routesTable(_ routes: [RouteReport], link: (String) -> String) -> String {
        var out = "<table id=\"routes\"><thead><tr><th>Route</th><th class=\"n\">Mismatch rate</th><th class=\"n\">Regressed</th><th class=\"n\">Compared</th><th class=\"n\">Noise/race only</th><th class=\"n\">Errors</th><th class=\"n\">Timeouts</th><th class=\"n\">Legacy p50 / p90 / p99</th><th class=\"n\">Candidate p50 / p90 / p99</th><th class=\"n\">p99 ratio</th></tr></thead><tbody>"
        for r in routes {
            let ratio = r.latency.ratio.map { "<span class=\"\($0.p99 <= 1 ? "good" : "bad")\">\(Formatting.ratio($0.p99))</span>" } ?? "–"
            out += "<tr data-route=\"\(esc(r.route))\"><td><a href=\"\(esc(link(r.route)))\"><code>\(esc(r.route))</code></a></td>"
            out += "<td class=\"n \(rateClass(r.regressed))\"><strong>\(Formatting.percent(r.mismatchRate))</strong></td><td class=\"n\">\(Formatting.count(r.regressed))</td>"
            out += "<td class=\"n\">\(Formatting.count(r.compared))</td><td class=\"n muted\">\(Formatting.count(r.noiseOrRaceOnly))</td>"
            out += "<td class=\"n\">\(Formatting.count(r.candidateErrors))</td><td class=\"n\">\(Formatting.count(r.candidateTimeouts))</td>"
            out += "<td class=\"n\">\(Formatting.percentiles(r.latency.legacy))</td><td class=\"n\">\(Formatting.percentiles(r.latency.candidate))</td><td class=\"n\">\(ratio)</td></tr>"
        }
        out += "</tbody></table><p class=\"muted\">Latencies in milliseconds over compared requests; ratio = candidate ÷ legacy at p99 (below 1: the candidate is faster).</p>"
        return out
    }

    static func classificationPills(_ f: FieldReport) -> String {
        var parts: [String] = []
        if f.regressions > 0 { parts.append("<span class=\"pill regression\">\(Formatting.count(f.regressions)) regression</span>") }
        if f.races > 0 { parts.append("<span class=\"pill race\">\(Formatting.count(f.races)) race</span>") }
        if f.noise > 0 { parts.append("<span class=\"pill noise\">\(Formatting.count(f.noise)) noise</span>") }
        return parts.joined(separator: " ")
    }

    static func statusLine(_ r: RouteReport) -> String {
        "<p class=\"muted\">Status codes — legacy \(esc(Formatting.statusMix(r.legacyStatus))); candidate \(esc(Formatting.statusMix(r.candidateStatus))). First seen \(Formatting.time(r.firstSeen)), last seen \(Formatting.time(r.lastSeen)).</p>"
    }

    static func exampleValues(_ e: FieldExample) -> String {
        "<code>\(esc(Formatting.value(e.legacyValue, limit: 60)))</code> → <code>\(esc(Formatting.value(e.candidateValue, limit: 60)))</code>"
    }

    static func suggestion(_ s: NoiseSuggestion, field: String) -> String {
        "<div class=\"suggest\"><strong>Probably noise:</strong> <code>\(esc(field))</code> \(esc(s.reason)). Add to <code>diff-rules/</code>:<pre>\(esc(s.rule))</pre></div>"
    }

    /// Legacy and candidate bodies side by side, the differing paths highlighted.
    static func sideBySide(_ c: ComparisonDetail) -> String {
        let bodyKinds: Set<String> = ["value_changed", "type_changed", "missing_in_candidate", "extra_in_candidate", "array_order", "duplicate_key"]
        let paths = Set(c.discrepancies.filter { bodyKinds.contains($0.kind) }.map(\.path))
        if let grpc = c.grpc { return Self.grpcSides(c, grpc, highlight: paths) }
        var out = "<div class=\"side\">"
        out += "<div><h4>Legacy · \(c.legacyStatus.map(String.init) ?? "no answer")\(c.legacyMs.map { " · " + Formatting.milliseconds($0) } ?? "")</h4><pre class=\"body legacy\">\(JSONBodyView.render(c.legacySample, highlight: paths))</pre></div>"
        out += "<div><h4>Candidate · \(c.candidateStatus.map(String.init) ?? "no answer")\(c.candidateMs.map { " · " + Formatting.milliseconds($0) } ?? "")</h4><pre class=\"body candidate\">\(JSONBodyView.render(c.candidateSample, highlight: paths))</pre></div>"
        out += "</div>"
        if c.samplesTruncated { out += "<p class=\"muted\">A sample was cut at the ledger's size cap; highlighting needs the whole body.</p>" }
        return out
    }

    static func discrepancyTable(_ c: ComparisonDetail) -> String {
        var out = "<table class=\"discrepancies\"><thead><tr><th>Path</th><th>Field</th><th>Kind</th><th>Legacy</th><th>Candidate</th><th>Class</th></tr></thead><tbody>"
        for d in c.discrepancies {
            out += "<tr><td><code>\(esc(d.path.isEmpty ? "(whole)" : d.path))</code></td><td><code>\(esc(d.field))</code></td><td>\(esc(d.kind))</td>"
            out += "<td><code>\(esc(Formatting.value(d.legacyValue, limit: 80)))</code></td><td><code>\(esc(Formatting.value(d.candidateValue, limit: 80)))</code></td>"
            out += "<td><span class=\"pill \(esc(d.classification))\">\(esc(d.classification))</span></td></tr>"
        }
        return out + "</tbody></table>"
    }

    static func comparisonFacts(_ c: ComparisonDetail) -> String {
        var out = "<dl class=\"kv\">"
        out += "<dt>Request</dt><dd><code>\(esc(c.method)) \(esc(c.path))</code></dd>"
        out += "<dt>Route</dt><dd><code>\(esc(c.route))</code></dd>"
        out += "<dt>Outcome</dt><dd>\(esc(c.outcome))\(c.reason.map { " (" + esc($0) + ")" } ?? "") · \(c.regressionCount) of \(c.discrepancyCount) discrepancies are regressions</dd>"
        out += "<dt>Recorded</dt><dd>\(Formatting.time(c.recordedAt)) by \(esc(c.instance)) · request id <code>\(esc(c.requestId))</code></dd>"
        if let run = c.runId { out += "<dt>Run</dt><dd><code>\(esc(run))</code></dd>" }
        out += Self.linkedComparisons(c) { _ in nil }
        out += "<dt>Id</dt><dd><code>\(esc(c.id))</code></dd></dl>"
        if let request = c.requestSample { out += "<details><summary>Request sample</summary><div class=\"inner\"><pre>\(esc(request))</pre></div></details>" }
        return out
    }
}
