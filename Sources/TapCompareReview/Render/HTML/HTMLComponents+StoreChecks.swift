import TapCompareLedger
extension HTMLComponents {
    /// One write route's matrix of stores × outcome (the web UI draws the same table in ``UIScript``).
    /// `link` gives each store's drill-down target, `nil` for none.
    static func storeMatrix(_ check: StoreCheckRoute, link: (StoreCheckRow) -> String?) -> String {
        var out = "<table class=\"store-matrix\" data-write-route=\"\(esc(check.writeRoute))\"><thead><tr>"
        for (i, header) in StoreCheckColumns.headers.enumerated() { out += "<th\(i == 0 ? "" : " class=\"n\"")>\(header)</th>" }
        out += "</tr></thead><tbody>"
        for row in check.stores {
            let name = "<code>\(esc(row.store))</code>"
            out += "<tr data-store=\"\(esc(row.store))\"><td>\(link(row).map { "<a href=\"\(esc($0))\">\(name)</a>" } ?? name)</td>"
            let counts = StoreCheckColumns.counts(row)
            // Regressions and missing records are what blocks a cut-over; errors are the store's or the check's.
            let classes = ["", "", "bad", "", "muted", "bad", "warn", ""]
            for (count, cls) in zip(counts, classes) {
                out += "<td class=\"n\(count > 0 && !cls.isEmpty ? " " + cls : "")\">\(Formatting.count(count))</td>"
            }
            out += "</tr>"
        }
        out += "</tbody></table>"
        let reasons = check.stores.filter { !$0.reasons.isEmpty }
        if !reasons.isEmpty {
            out += "<ul class=\"reasons muted\">"
            for row in reasons {
                out += "<li><code>\(esc(row.store))</code>: " + row.reasons.map { "\(esc($0.reason)) \(Formatting.count($0.count))" }.joined(separator: ", ") + "</li>"
            }
            out += "</ul>"
        }
        return out
    }

    /// How a comparison relates to others: a store check names its write, a write lists its store checks.
    /// `link` turns a comparison id into a target, `nil` for plain text (the static report has no page per id).
    static func linkedComparisons(_ c: ComparisonDetail, link: (String) -> String?) -> String {
        func id(_ value: String) -> String {
            let code = "<code>\(esc(value))</code>"
            return link(value).map { "<a href=\"\(esc($0))\">\(code)</a>" } ?? code
        }
        var out = ""
        if let linked = c.linkedComparisonId {
            out += c.store == nil ? "<dt>Verifies</dt><dd>\(id(linked))</dd>" : "<dt>Store</dt><dd><code>\(esc(c.store ?? ""))</code></dd><dt>Write</dt><dd class=\"write-link\">\(id(linked))</dd>"
        }
        if !c.storeChecks.isEmpty {
            out += "<dt>Store checks</dt><dd><ul class=\"store-checks\">"
            for s in c.storeChecks {
                out += "<li data-store=\"\(esc(s.store))\"><code>\(esc(s.store))</code> \(esc(s.outcome))"
                if s.discrepancyCount > 0 { out += " (\(s.regressionCount) of \(s.discrepancyCount) discrepancies are regressions)" }
                if let reason = s.reason { out += " <span class=\"muted\">\(esc(reason))</span>" }
                out += " · \(id(s.id))</li>"
            }
            out += "</ul></dd>"
        }
        return out
    }
}
