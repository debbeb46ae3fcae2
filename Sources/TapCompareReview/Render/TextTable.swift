/// Aligned plain-text columns. Widths are measured on the text without colour, and colour is applied after
/// padding, so colour never shifts a column.
struct TextTable {
    enum Alignment { case left, right }

    struct Cell {
        var text: String
        var color: ANSI?
        init(_ text: String, _ color: ANSI? = nil) { self.text = text; self.color = color }
    }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[Cell]] = []

    func render(indent: String = "", color: Bool) -> String {
        var widths = self.headers.map(\.count)
        for row in self.rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        func line(_ cells: [Cell], bold: Bool) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.text.count))
                let isLast = i == cells.count - 1
                var text = self.alignments[i] == .right ? pad + cell.text : cell.text + (isLast ? "" : pad)
                if color, let c = bold ? ANSI.bold : cell.color { text = c.wrap(text) }
                parts.append(text)
            }
            return indent + parts.joined(separator: "  ")
        }
        var out = line(self.headers.map { Cell($0) }, bold: true) + "\n"
        for row in self.rows { out += line(row, bold: false) + "\n" }
        return out
    }
}

/// The few ANSI styles the table format uses.
enum ANSI: String {
    case bold = "1"
    case dim = "2"
    case red = "31"
    case green = "32"
    case yellow = "33"
    case cyan = "36"

    func wrap(_ text: String) -> String { "\u{1B}[\(self.rawValue)m\(text)\u{1B}[0m" }
}
