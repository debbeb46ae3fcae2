extension HTMLReportRenderer {
    /// The write matrix section: per write route its stores × outcome, then each store's fields. Empty when the
    /// window has no store checks.
    static func storeChecks(_ checks: [StoreCheckRoute], comparisons: [String: ComparisonDetail]) -> String {
        guard !checks.isEmpty else { return "" }
        var out = "<section id=\"store-checks\"><h2>Store checks</h2><p class=\"muted\">\(esc(StoreCheckColumns.note))</p>"
        for check in checks {
            out += "<h3><code>\(esc(check.writeRoute))</code></h3>"
            out += HTMLComponents.storeMatrix(check) { $0.fields.isEmpty ? nil : "#store-\(Self.anchor($0.route))" }
        }
        for check in checks {
            for row in check.stores where !row.fields.isEmpty {
                out += "<section class=\"route\" id=\"store-\(Self.anchor(row.route))\"><h3><code>\(esc(row.route))</code></h3>"
                for f in row.fields { out += Self.field(f, comparisons: comparisons) }
                out += "</section>"
            }
        }
        return out + "</section>"
    }
}
