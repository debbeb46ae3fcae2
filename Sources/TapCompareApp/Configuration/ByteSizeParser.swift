/// Parses byte sizes: a plain integer (bytes) or a number with a unit: `64KiB`, `1MiB`, `2GiB`, `500KB`, `10MB`.
public enum ByteSizeParser {
    public static func parse(_ text: String) -> Int? {
        let t = text.filter { !$0.isWhitespace }
        var end = t.startIndex
        while end < t.endIndex, t[end].isNumber { end = t.index(after: end) }
        guard let value = Int(t[..<end]), value >= 0 else { return nil }
        let multiplier: Int
        switch t[end...].lowercased() {
        case "", "b": multiplier = 1
        case "kib", "k": multiplier = 1 << 10
        case "mib", "m": multiplier = 1 << 20
        case "gib", "g": multiplier = 1 << 30
        case "kb": multiplier = 1_000
        case "mb": multiplier = 1_000_000
        case "gb": multiplier = 1_000_000_000
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
