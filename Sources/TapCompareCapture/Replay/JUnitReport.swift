import TapCompareCore
/// Writes a replay's summary as JUnit XML: one test suite, one test case per route.
///
/// The shape is the common Jenkins/Surefire one every CI reads (`testsuites` > `testsuite` > `testcase` with
/// `failure`, `error` or `skipped`). A route fails when it has a regression: the failure names the fields and
/// shows one example; candidate errors and timeouts are an `error`; a route whose exchanges were all skipped is
/// `skipped`. A capture file's last line that a failed write cut short (``ReplaySummary/truncatedCaptureEnds``) is
/// a `skipped` test case of its own, named `file:line`: CI pages list skipped cases, so the record that was not
/// replayed is seen there as it is in the terminal summary and the Markdown report. Only the latency and load properties depend on timing (``ReplayLoad/properties``); without them
/// (`timings: false`) the same run gives the same bytes.
public enum JUnitReport {
    public static func render(_ summary: ReplaySummary, candidate: String, timings: Bool = true) -> String {
        let routes = summary.sortedRoutes
        let failures = routes.filter { $0.mismatched > 0 }.count
        let errors = routes.filter { $0.mismatched == 0 && $0.candidateErrors + $0.candidateTimeouts > 0 }.count
        let ends = summary.truncatedCaptureEnds
        let tests = routes.count + ends.count
        let skipped = routes.filter { $0.judged == 0 }.count + ends.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"tapcompare replay\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\">\n"
        xml += "  <testsuite name=\"tapcompare replay against \(escape(candidate))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\">\n"
        xml += "    <properties>\n"
        xml += "      <property name=\"candidate\" value=\"\(escape(candidate))\"/>\n"
        xml += "      <property name=\"exchanges\" value=\"\(summary.total)\"/>\n"
        xml += "      <property name=\"judged\" value=\"\(summary.judged)\"/>\n"
        xml += "      <property name=\"failing\" value=\"\(summary.failing)\"/>\n"
        if timings {
            for (name, value) in summary.load.properties + (summary.rewrites.isEmpty ? [] : summary.rewrites.properties) {
                xml += "      <property name=\"\(escape(name))\" value=\"\(escape(value))\"/>\n"
            }
        }
        xml += "    </properties>\n"
        for route in routes {
            xml += "    <testcase name=\"\(escape(route.route))\" classname=\"tapcompare.replay\">\n"
            if route.mismatched > 0 {
                let fields = route.sortedFields.filter { $0.1.classification == .regression }
                let names = fields.prefix(5).map { "\($0.0.field) (\($0.0.kind.rawValue))" }.joined(separator: ", ")
                let more = fields.count > 5 ? " and \(fields.count - 5) more" : ""
                let message = "\(route.mismatched) of \(route.judged) exchanges differ: \(names)\(more)"
                xml += "      <failure message=\"\(escape(message))\" type=\"mismatch\">"
                var body = ""
                for (key, stats) in fields {
                    let e = stats.example
                    body += "\(key.field) \(key.kind.rawValue): \(stats.exchanges) exchanges, \(stats.occurrences) occurrences\n"
                    body += "  example: \(e.method) \(e.uri) (request id \(e.requestID)) at \(e.path.isEmpty ? "/" : e.path)\n"
                    body += "    legacy:    \(Self.clip(e.legacyValue ?? "(absent)"))\n"
                    body += "    candidate: \(Self.clip(e.candidateValue ?? "(absent)"))\n"
                }
                xml += escape(body) + "</failure>\n"
            }
            if route.candidateErrors + route.candidateTimeouts > 0 {
                let first = route.firstError.map { " first: \($0.uri) (request id \($0.requestID)): \($0.reason)" } ?? ""
                let message = "\(route.candidateErrors) candidate errors, \(route.candidateTimeouts) timeouts of \(route.judged) exchanges;\(first)"
                xml += "      <error message=\"\(escape(message))\" type=\"candidate_error\"/>\n"
            }
            if route.judged == 0 {
                let reasons = route.skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                xml += "      <skipped message=\"\(escape("all \(route.total) exchanges skipped (\(reasons))"))\"/>\n"
            }
            xml += "      <system-out>\(escape(Self.counts(route)))</system-out>\n"
            xml += "    </testcase>\n"
        }
        for end in ends {
            xml += "    <testcase name=\"\(escape("\(end.file):\(end.line)"))\" classname=\"tapcompare.replay.capture\">\n"
            let message = "the last line is cut short (\(end.bytes) bytes and no newline: what a write that failed left of a record); not replayed"
            xml += "      <skipped message=\"\(escape(message))\"/>\n"
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    static func counts(_ r: ReplaySummary.RouteStats) -> String {
        var s = "exchanges \(r.total), matched \(r.matched), mismatched \(r.mismatched)"
        if r.noiseOnly > 0 { s += ", noise only \(r.noiseOnly)" }
        s += ", candidate errors \(r.candidateErrors), timeouts \(r.candidateTimeouts)"
        if r.skippedTotal > 0 {
            s += ", skipped \(r.skippedTotal) (" + r.skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        return s
    }

    static func clip(_ text: String, _ limit: Int = 200) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// XML 1.0 text: escapes markup and drops characters XML cannot carry (most C0 controls).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
