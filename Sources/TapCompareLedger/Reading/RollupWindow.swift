import Foundation

/// How a report window [from, to) is read: its whole UTC hours from the hourly rollups, the partial hours at its
/// edges from the raw rows. Every figure is a sum (or min/max) over disjoint parts, so the result equals the raw
/// computation over the whole window.
///
/// Pure: the split is unit-tested without a database.
package struct RollupWindow: Sendable, Hashable {
    /// Whole hours, `[from, to)`; `nil` bounds are open (the window itself is open on that side).
    package struct Hours: Sendable, Hashable {
        package var from: Date?
        package var to: Date?

        package init(from: Date?, to: Date?) {
            self.from = from
            self.to = to
        }
    }

    /// The whole query (its route, run and classification filters apply to the rollup hours too).
    package var query: LedgerQuery
    /// The hours read from the rollups, `nil` when none are (no whole hour inside, or no rollups in the ledger).
    package var hours: Hours?
    /// The same query narrowed to each raw part (at most two: the partial first and last hours).
    package var raw: [LedgerQuery]

    /// - Parameters:
    ///   - query: The report's query (its `from`/`to` are the window).
    ///   - rollups: Whether the ledger has rollups (schema version 2 or later); without them everything is raw.
    package init(_ query: LedgerQuery, rollups: Bool) {
        self.query = query
        guard rollups else {
            self.hours = nil
            self.raw = [query]
            return
        }
        let lo = query.from.map(Self.ceilHour)
        let hi = query.to.map(Self.floorHour)
        if let lo, let hi, lo >= hi {
            self.hours = nil
            self.raw = [query]
            return
        }
        self.hours = Hours(from: lo, to: hi)
        var raw: [LedgerQuery] = []
        if let from = query.from, let lo, from < lo {
            var q = query
            q.from = from
            q.to = lo
            raw.append(q)
        }
        if let to = query.to, let hi, hi < to {
            var q = query
            q.from = hi
            q.to = to
            raw.append(q)
        }
        self.raw = raw
    }

    static func floorHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    static func ceilHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.up) * 3600)
    }
}
