extension TableRenderer {
    /// The write matrix: per write route, a table of its stores by outcome, then the errors' and skips' reasons
    /// and each store's differing fields. Empty when the window has no store checks.
    func storeChecks(_ report: Report) -> String {
        guard !report.storeChecks.isEmpty else { return "" }
        var out = "\n" + self.paint("Store checks", .bold) + "  (writes verified in the stores they land in)\n" + StoreCheckColumns.note + "\n"
        for check in report.storeChecks {
            out += "\n" + self.paint(check.writeRoute, .bold) + "\n"
            var table = TextTable(
                headers: StoreCheckColumns.headers.map { $0.uppercased() },
                alignments: [.left] + Array(repeating: .right, count: StoreCheckColumns.headers.count - 1)
            )
            // Regressions and missing records are what blocks a cut-over; errors are the store's or the check's.
            let highlight: [ANSI?] = [nil, nil, .red, .dim, .dim, .red, .yellow, nil]
            for row in check.stores {
                var cells = [TextTable.Cell(row.store, .cyan)]
                for (count, color) in zip(StoreCheckColumns.counts(row), highlight) {
                    cells.append(TextTable.Cell(Formatting.count(count), count > 0 ? color : nil))
                }
                table.rows.append(cells)
            }
            out += table.render(indent: "  ", color: self.color)
            for row in check.stores where !row.reasons.isEmpty {
                out += "  \(row.store): " + row.reasons.map { "\($0.reason) \(Formatting.count($0.count))" }.joined(separator: ", ") + "\n"
            }
            for row in check.stores where !row.fields.isEmpty {
                out += "  " + self.paint(row.route, .bold) + "\n" + self.fieldsTable(row.fields, indent: "    ")
            }
        }
        return out
    }
}
