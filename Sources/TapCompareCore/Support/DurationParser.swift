/// Parses the human durations used in configuration and flags: `250ms`, `5s`, `1.5s`, `2m`, `1h`, `30d`, `500us`.
public enum DurationParser {
    /// - Returns: the duration, or `nil` when the text is not a non-negative number followed by a unit.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces()
        var numberEnd = trimmed.startIndex
        while numberEnd < trimmed.endIndex, trimmed[numberEnd].isNumber || trimmed[numberEnd] == "." {
            numberEnd = trimmed.index(after: numberEnd)
        }
        let numberText = trimmed[..<numberEnd]
        let unit = trimmed[numberEnd...]
        guard !numberText.isEmpty, let value = Double(numberText), value.isFinite, value >= 0 else { return nil }
        let nanosPerUnit: Double
        switch unit {
        case "ns": nanosPerUnit = 1
        case "us", "µs": nanosPerUnit = 1_000
        case "ms": nanosPerUnit = 1_000_000
        case "s": nanosPerUnit = 1_000_000_000
        case "m": nanosPerUnit = 60_000_000_000
        case "h": nanosPerUnit = 3_600_000_000_000
        case "d": nanosPerUnit = 86_400_000_000_000
        default: return nil
        }
        let nanos = value * nanosPerUnit
        guard nanos < Double(Int64.max) else { return nil }
        return .nanoseconds(Int64(nanos.rounded()))
    }

    /// The canonical spelling used in messages (`5s`, `250ms`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attos) = duration.components
        let nanos = seconds * 1_000_000_000 + attos / 1_000_000_000
        if nanos % 86_400_000_000_000 == 0 && nanos > 0 { return "\(nanos / 86_400_000_000_000)d" }
        if nanos % 3_600_000_000_000 == 0 && nanos > 0 { return "\(nanos / 3_600_000_000_000)h" }
        if nanos % 60_000_000_000 == 0 && nanos > 0 { return "\(nanos / 60_000_000_000)m" }
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        if nanos % 1_000 == 0 { return "\(nanos / 1_000)us" }
        return "\(nanos)ns"
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds, as stored in the ledger.
    public var milliseconds: Double {
        let (seconds, attos) = self.components
        return Double(seconds) * 1000 + Double(attos) / 1e15
    }
}

extension String {
    func trimmingSpaces() -> Substring {
        var s = self[...]
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}
