import Foundation

/// How a replay went as load: latency percentiles (service time and coordinated-omission corrected), the
/// achieved rate against the schedule's, and how far behind the schedule requests started.
///
/// *Coordinated omission*: a load generator that waits for a slow answer before sending the next request also
/// stops measuring during the stall, so its percentiles hide it. Here every request has a due time from the
/// ``ReplaySchedule``; its *corrected* latency runs from that due time to the answer, so a request that had to
/// wait for an in-flight slot (because the service stalled) carries the wait. Service time runs from the
/// moment it was actually sent. Without pacing the two are equal: there is no schedule to fall behind.
public struct ReplayLoad: Sendable {
    /// The capture's recorded legacy latencies, or the live legacy's service times with `--legacy`.
    public var legacyService = LatencyHistogram()
    /// With `--legacy`: the live legacy's latencies from each request's due time. Empty otherwise.
    public var legacyCorrected = LatencyHistogram()
    public var candidateService = LatencyHistogram()
    /// The candidate's latencies from each request's due time (the corrected ones).
    public var candidateCorrected = LatencyHistogram()
    /// How late each request started against its due time (zero when unpaced).
    public var scheduleLag = LatencyHistogram()
    /// Requests sent (each pass of a loop counts again).
    public var sent = 0
    /// Requests that started late because every in-flight slot was taken (`--concurrency`) or the ledger's
    /// queue was full: the schedule was kept as a measure, but the load generator could not keep it.
    public var lateStarts = 0
    /// Passes over the capture begun (1 without `--loop`).
    public var passes = 0
    /// The schedule's rate in requests per second; `nil` when unpaced.
    public var targetRate: Double?
    /// From the first request's start to the last one's, in seconds.
    public var sendingSeconds: Double = 0
    /// From the start of the run to the last answer, in seconds.
    public var elapsedSeconds: Double = 0
    /// Whether the run was stopped by an interrupt (SIGINT/SIGTERM) before its schedule ended.
    public var interrupted = false

    public init() {}

    /// Requests started per second over the sending window; `nil` with fewer than two requests.
    public var achievedRate: Double? {
        guard self.sent > 1, self.sendingSeconds > 0 else { return nil }
        return Double(self.sent - 1) / self.sendingSeconds
    }

    /// Lines for the terminal summary: the latency table and, when paced, the rate and the lag.
    public var terminalLines: String {
        var out = ""
        func line(_ name: String, _ h: LatencyHistogram) {
            guard let p = h.standardPercentiles else { return }
            out += "  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(p.text)\n"
        }
        if self.legacyService.count + self.candidateService.count > 0 { out += "latency:\n" }
        line("legacy", self.legacyService)
        line("legacy (corrected)", self.legacyCorrected)
        line("candidate", self.candidateService)
        line("candidate (corrected)", self.candidateCorrected)
        return out + "load: " + self.loadSentence + "\n"
    }

    /// `20 requests sent, 99.8 req/s achieved (target 100 req/s); 0 late starts, schedule lag p99 …`.
    public var loadSentence: String {
        var out = ""
        out += "\(self.sent) request\(self.sent == 1 ? "" : "s") sent"
        if self.passes > 1 { out += " in \(self.passes) passes" }
        if let achieved = self.achievedRate { out += ", \(Self.rate(achieved)) req/s achieved" }
        if let target = self.targetRate { out += " (target \(Self.rate(target)) req/s)" }
        if self.targetRate != nil, let lag = self.scheduleLag.standardPercentiles {
            out += "; \(self.lateStarts) late starts, schedule lag p99 \(LatencyHistogram.Percentiles.ms(lag.p99)), max \(LatencyHistogram.Percentiles.ms(lag.max))"
        }
        if self.interrupted { out += "; interrupted" }
        return out
    }

    static func rate(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths >= 100 ? "\(Int(tenths.rounded()))" : "\(tenths)"
    }

    /// The latency histograms by the name the reports give them, in report order; empty ones left out.
    public var namedHistograms: [(name: String, key: String, histogram: LatencyHistogram)] {
        [
            ("legacy", "legacy", self.legacyService),
            ("legacy (corrected)", "legacy_corrected", self.legacyCorrected),
            ("candidate", "candidate", self.candidateService),
            ("candidate (corrected)", "candidate_corrected", self.candidateCorrected),
        ].filter { $0.2.count > 0 }
    }

    /// `name=value` pairs for JUnit properties: every percentile, the rates and the lag.
    public var properties: [(String, String)] {
        var out: [(String, String)] = []
        func ms(_ v: Double) -> String { String((v * 1000).rounded() / 1000) }
        for (_, key, h) in self.namedHistograms {
            guard let p = h.standardPercentiles else { continue }
            out += [
                ("latency.\(key).p50_ms", ms(p.p50)), ("latency.\(key).p90_ms", ms(p.p90)), ("latency.\(key).p99_ms", ms(p.p99)),
                ("latency.\(key).p99_9_ms", ms(p.p999)), ("latency.\(key).max_ms", ms(p.max)),
            ]
        }
        out.append(("load.sent", String(self.sent)))
        if let r = self.achievedRate { out.append(("load.achieved_rate", Self.rate(r))) }
        if let r = self.targetRate { out.append(("load.target_rate", Self.rate(r))) }
        if self.targetRate != nil {
            out.append(("load.late_starts", String(self.lateStarts)))
            if let lag = self.scheduleLag.standardPercentiles {
                out += [("load.schedule_lag.p99_ms", ms(lag.p99)), ("load.schedule_lag.max_ms", ms(lag.max))]
            }
        }
        if self.passes > 1 { out.append(("load.passes", String(self.passes))) }
        if self.interrupted { out.append(("load.interrupted", "true")) }
        return out
    }

    /// The Markdown section: a latency table and a line on the load.
    public var markdown: String {
        var md = "### Latency\n\n"
        let rows = self.namedHistograms
        if !rows.isEmpty {
            md += "| | Requests | p50 | p90 | p99 | p99.9 | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            for (name, _, h) in rows {
                guard let p = h.standardPercentiles else { continue }
                let f = LatencyHistogram.Percentiles.ms
                md += "| \(name) | \(p.count) | \(f(p.p50)) | \(f(p.p90)) | \(f(p.p99)) | \(f(p.p999)) | \(f(p.max)) |\n"
            }
            md += "\n"
        }
        md += "Load: " + self.loadSentence + ".\n"
        return md
    }
}
