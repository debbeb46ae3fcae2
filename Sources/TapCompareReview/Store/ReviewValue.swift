import Foundation

/// A value bound into, or read back from, a review query. Both backends map onto these few types, so the query
/// code above them is written once.
public enum ReviewValue: Sendable, Hashable {
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
public struct ReviewRow: Sendable {
    public var values: [ReviewValue]

    public init(_ values: [ReviewValue]) { self.values = values }

    public subscript(_ index: Int) -> ReviewValue { index < self.values.count ? self.values[index] : .null }

    public func int(_ index: Int) -> Int? {
        switch self[index] {
        case .int(let v): return v
        case .double(let v): return v.isFinite ? Int(v) : nil
        case .text(let s): return Int(s) ?? Double(s).map { Int($0) }
        default: return nil
        }
    }

    public func double(_ index: Int) -> Double? {
        switch self[index] {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let s): return Double(s)
        default: return nil
        }
    }

    public func string(_ index: Int) -> String? {
        switch self[index] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .uuid(let u): return u.uuidString.lowercased()
        case .time(let d): return LedgerTimeText.format(d)
        case .null: return nil
        }
    }

    /// Times come back as the ledger's text form on both backends (Postgres queries format them with `to_char`).
    public func date(_ index: Int) -> Date? {
        switch self[index] {
        case .time(let d): return d
        case .text(let s): return LedgerTimeText.parse(s)
        default: return nil
        }
    }

    public func bool(_ index: Int) -> Bool {
        switch self[index] {
        case .int(let v): return v != 0
        case .text(let s): return s == "t" || s == "true" || s == "1"
        default: return false
        }
    }
}
