extension MarkdownRenderer {
    /// The write matrix: per write route, a table of its stores by outcome, then reasons and each store's fields.
    /// Empty when the window has no store checks.
    static func storeChecks(_ report: Report) -> String {
        guard !report.storeChecks.isEmpty else { return "" }
        var out = "\n## Store checks\n\n\(StoreCheckColumns.note)\n"
        for check in report.storeChecks {
            out += "\n### \(Self.code(check.writeRoute))\n\n"
            out += "| " + StoreCheckColumns.headers.joined(separator: " | ") + " |\n"
            out += "|---|" + String(repeating: "--:|", count: StoreCheckColumns.headers.count - 1) + "\n"
            for row in check.stores {
                out += "| \(Self.code(row.store)) | " + StoreCheckColumns.counts(row).map(Formatting.count).joined(separator: " | ") + " |\n"
            }
            let reasons = check.stores.filter { !$0.reasons.isEmpty }
            if !reasons.isEmpty { out += "\n" }
            for row in reasons {
                out += "- \(Self.code(row.store)): " + row.reasons.map { "\(Self.cell($0.reason)) \(Formatting.count($0.count))" }.joined(separator: ", ") + "\n"
            }
            for row in check.stores where !row.fields.isEmpty {
                out += "\n#### \(Self.code(row.route))\n\n" + Self.fieldsTable(row.fields)
            }
        }
        return out
    }
}
