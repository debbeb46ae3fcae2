/// The formats of `tapcompare report --format`.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// Aligned columns for a terminal (colour only on a terminal, never with `NO_COLOR`).
    case table
    /// The documented, versioned JSON (`docs/report-json.md`), for CI.
    case json
    /// GitHub-flavoured Markdown, for pull-request comments and job summaries.
    case markdown
    /// One self-contained HTML file.
    case html

    /// Renders `report`; the HTML format first reads the example comparisons from `source`.
    public func render(_ report: Report, source: any ReportSource, color: Bool) async throws -> String {
        switch self {
        case .table:
            return TableRenderer(color: color).render(report)
        case .json:
            return try ReportJSON.render(report)
        case .markdown:
            return MarkdownRenderer().render(report)
        case .html:
            var comparisons: [String: ComparisonDetail] = [:]
            for id in HTMLReportRenderer.exampleIDs(of: report) {
                if let c = try await source.comparison(id: id) { comparisons[id] = c }
            }
            return HTMLReportRenderer().render(report, comparisons: comparisons)
        }
    }
}
