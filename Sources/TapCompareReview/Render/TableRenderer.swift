import Foundation
import TapCompareLedger

/// The terminal form of a report: the headline first, then routes by impact, then each route's fields.
public struct TableRenderer: Sendable {
    /// ANSI colour; decide it with ``ColorPolicy/useColor(isTerminal:environment:)``.
    public var color: Bool

    public init(color: Bool) { self.color = color }

    func paint(_ text: String, _ style: ANSI) -> String { self.color ? style.wrap(text) : text }

    public func render(_ report: Report) -> String {
        let o = report.overview
        var out = self.paint("TapCompare report", .bold) + "  " + self.paint(report.ledger, .dim) + "\n"
        out += "Window     " + Self.window(report) + "\n"
        if !o.instances.isEmpty {
            out += "Instances  " + o.instances.map { "\($0.instance) (\(Formatting.count($0.comparisons)))" }.joined(separator: ", ") + "\n"
        }
        out += "\n"
        let rate = Formatting.percent(o.mismatchRate)
        out += self.paint("Mismatch rate ", .bold) + self.paint(rate, o.regressed > 0 ? .red : .green)
        out += "  \(Formatting.count(o.regressed)) of \(Formatting.count(o.compared)) compared requests regressed"
        if o.noiseOrRaceOnly > 0 {
            out += "; \(Formatting.count(o.noiseOrRaceOnly)) more differed by noise or races only"
            out += " (noise \(Formatting.count(o.noiseOnly)), races \(Formatting.count(o.raceOnly)))"
        }
        out += "\n"
        out += "Comparisons \(Formatting.count(o.comparisons))   matches \(Formatting.count(o.matches))   mismatches \(Formatting.count(o.mismatches))   "
        out += "candidate errors \(Formatting.count(o.candidateErrors))   timeouts \(Formatting.count(o.candidateTimeouts))   skipped \(Formatting.count(o.skipped))\n"
        if !o.skipsByReason.isEmpty {
            out += "Skips      " + o.skipsByReason.map { "\($0.reason) \(Formatting.count($0.count))" }.joined(separator: ", ") + "\n"
        }
        if !o.errorsByReason.isEmpty {
            out += "Errors     " + o.errorsByReason.map { "\($0.reason) \(Formatting.count($0.count))" }.joined(separator: ", ") + "\n"
        }
        if let noise = report.learnedNoise {
            out += "Noise      learned: " + Formatting.noiseSettings(noise) + "\n"
        }
        for gap in report.gaps {
            out += self.paint("Gap        ", .yellow) + "\(Formatting.missingComparisons(gap.count)) missing from \(gap.instance) (\(gap.reason)) \(Formatting.time(gap.from)) → \(Formatting.time(gap.to))\n"
        }
        out += self.problems(report)
        guard !report.routes.isEmpty else {
            return out + "\nNo comparisons in this window.\n" + self.storeChecks(report) + self.learnedNoise(report)
        }

        out += "\n" + self.paint("Routes by impact", .bold) + "\n"
        var routes = TextTable(
            headers: ["ROUTE", "COMPARED", "MISMATCH", "REGRESSED", "NOISE/RACE", "ERRORS", "TIMEOUTS", "LEGACY p50/p90/p99 ms", "CANDIDATE p50/p90/p99 ms", "p99 RATIO"],
            alignments: [.left, .right, .right, .right, .right, .right, .right, .right, .right, .right]
        )
        for r in report.routes {
            routes.rows.append([
                .init(r.route),
                .init(Formatting.count(r.compared)),
                .init(Formatting.percent(r.mismatchRate), r.regressed > 0 ? .red : .green),
                .init(Formatting.count(r.regressed)),
                .init(Formatting.count(r.noiseOrRaceOnly), .dim),
                .init(Formatting.count(r.candidateErrors), r.candidateErrors > 0 ? .yellow : nil),
                .init(Formatting.count(r.candidateTimeouts), r.candidateTimeouts > 0 ? .yellow : nil),
                .init(Formatting.percentiles(r.latency.legacy)),
                .init(Formatting.percentiles(r.latency.candidate)),
                .init(r.latency.ratio.map { Formatting.ratio($0.p99) } ?? "–", (r.latency.ratio?.p99 ?? 1) > 1 ? .yellow : .green),
            ])
        }
        out += routes.render(color: self.color)

        for r in report.routes {
            out += "\n" + self.paint(r.route, .bold) + "  " + self.paint(Formatting.percent(r.mismatchRate), r.regressed > 0 ? .red : .green)
            out += " mismatch rate, \(Formatting.count(r.compared)) compared\n"
            out += "  status  legacy \(Formatting.statusMix(r.legacyStatus))   candidate \(Formatting.statusMix(r.candidateStatus))\n"
            guard !r.fields.isEmpty else {
                out += "  no field differences\n"
                continue
            }
            out += self.fieldsTable(r.fields)
        }
        return out + self.storeChecks(report) + self.learnedNoise(report)
    }

    /// A list of fields with their counts, example and suggestions, indented under its route or store.
    func fieldsTable(_ list: [FieldReport], indent: String = "  ") -> String {
        var out = ""
        var fields = TextTable(
            headers: ["FIELD", "KIND", "COMPARISONS", "SHARE", "REGRESSION", "NOISE", "RACE", "FIRST SEEN", "LAST SEEN", "EXAMPLE (legacy → candidate)"],
            alignments: [.left, .left, .right, .right, .right, .right, .right, .left, .left, .left]
        )
        for f in list {
            let example = f.examples.first.map { "\(Formatting.value($0.legacyValue, limit: 24)) → \(Formatting.value($0.candidateValue, limit: 24))" } ?? ""
            fields.rows.append([
                .init(f.field, .cyan), .init(f.kind), .init(Formatting.count(f.comparisons)), .init(Formatting.percent(f.share)),
                .init(Formatting.count(f.regressions), f.regressions > 0 ? .red : nil), .init(Formatting.count(f.noise), .dim),
                .init(Formatting.count(f.races), .dim), .init(Formatting.time(f.firstSeen)), .init(Formatting.time(f.lastSeen)),
                .init(example),
            ])
        }
        out += fields.render(indent: indent, color: self.color)
        for f in list {
            if let s = f.suggestion {
                out += indent + self.paint("suggestion", .yellow) + " \(f.field) \(s.reason). Add to diff-rules/:\n"
                for line in s.rule.split(separator: "\n") { out += indent + "  " + line + "\n" }
            }
        }
        return out
    }

    /// The fields the learned-noise model classifies as noise (the thresholds are in the header).
    func learnedNoise(_ report: Report) -> String {
        guard let noise = report.learnedNoise, noise.fields.contains(where: \.classifiedAsNoise) else { return "" }
        let out = "\n" + self.paint("Learned noise", .bold) + "  (fields legacy itself keeps changing; noise where a comparison had no baseline)\n"
        var table = TextTable(headers: ["ROUTE", "FIELD", "NOISY IN", "SHARE"], alignments: [.left, .left, .right, .right])
        for f in noise.fields where f.classifiedAsNoise {
            table.rows.append([.init(f.route), .init(f.field, .cyan), .init("\(Formatting.count(f.noisyIn)) of \(Formatting.count(f.samples))"), .init(Formatting.percent(f.share))])
        }
        return out + table.render(indent: "  ", color: self.color)
    }

    static func window(_ report: Report) -> String {
        let from = report.filter.from ?? report.overview.firstSeen
        let to = report.filter.to ?? report.overview.lastSeen
        var text = "\(Formatting.time(from)) → \(Formatting.time(to))"
        if let from, let to { text += " (\(Formatting.span(to.timeIntervalSince(from))))" }
        if let route = report.filter.route { text += "  route \(route)" }
        if let run = report.filter.runId { text += "  run \(run)" }
        return text
    }
}
