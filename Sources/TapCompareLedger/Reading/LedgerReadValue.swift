import Foundation
import TapCompareCore

/// A value bound into, or read back from, a read query of the ledger (``LedgerReader``). Both backends map onto
/// these few types, so the queries above them are written once.
package enum LedgerReadValue: Sendable, Hashable {
    case null
    case int(Int)
    case double(Double)
    case text(String)
    /// A point in time: bound as `timestamptz` on Postgres and as the ledger's ISO-8601 text on SQLite.
    case time(Date)
    /// A comparison id: bound as `uuid` on Postgres and as lower-case text on SQLite.
    case uuid(UUID)
}

/// One result row, columns by position (queries select exactly what they read).
package struct LedgerReadRow: Sendable {
    package var values: [LedgerReadValue]

    package init(_ values: [LedgerReadValue]) { self.values = values }

    package subscript(_ index: Int) -> LedgerReadValue { index < self.values.count ? self.values[index] : .null }

    package func int(_ index: Int) -> Int? {
        switch self[index] {
        case .int(let v): return v
        case .double(let v): return v.isFinite ? Int(v) : nil
        case .text(let s): return Int(s) ?? Double(s).map { Int($0) }
        default: return nil
        }
    }

    package func double(_ index: Int) -> Double? {
        switch self[index] {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let s): return Double(s)
        default: return nil
        }
    }

    package func string(_ index: Int) -> String? {
        switch self[index] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .uuid(let u): return u.lowercasedText
        case .time(let d): return LedgerTime.format(d)
        case .null: return nil
        }
    }

    /// Times come back as the ledger's text form on both backends (Postgres queries format them with `to_char`).
    package func date(_ index: Int) -> Date? {
        switch self[index] {
        case .time(let d): return d
        case .text(let s): return LedgerTime.parse(s)
        default: return nil
        }
    }

    package func bool(_ index: Int) -> Bool {
        switch self[index] {
        case .int(let v): return v != 0
        case .text(let s): return s == "t" || s == "true" || s == "1"
        default: return false
        }
    }
}
