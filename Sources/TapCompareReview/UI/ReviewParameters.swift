import Foundation
import TapCompareCore
import TapCompareLedger

/// The window and filters of an API call, from its query string:
/// `since=24h` or `from=…&to=…` (ISO-8601 times or dates), `route=…`, `run=…`, `classification=…`.
struct ReviewParameters: Sendable, Hashable {
    var query: ReportQuery

    /// - Throws: ``ReviewError`` `invalidArgument` naming the parameter and how to write it.
    init(_ get: (String) -> String?, now: Date) throws {
        var query = ReportQuery()
        let from = get("from").flatMap { $0.isEmpty ? nil : $0 }
        let to = get("to").flatMap { $0.isEmpty ? nil : $0 }
        let since = get("since").flatMap { $0.isEmpty ? nil : $0 }
        if let from {
            guard let date = LedgerTime.parse(from) else { throw ReviewError.invalidArgument("from='\(from.prefix(40))' is not a time; write 2026-11-22T00:00:00Z or 2026-11-22") }
            query.from = date
        }
        if let to {
            guard let date = LedgerTime.parse(to) else { throw ReviewError.invalidArgument("to='\(to.prefix(40))' is not a time; write 2026-11-22T00:00:00Z or 2026-11-22") }
            query.to = date
        }
        if let since, since != "all" {
            guard from == nil, to == nil else { throw ReviewError.invalidArgument("give either since or from/to, not both") }
            guard let duration = DurationParser.parse(since), duration > .zero else {
                throw ReviewError.invalidArgument("since='\(since.prefix(40))' is not a duration; write e.g. 1h, 24h, 7d (or all)")
            }
            query.from = now.addingTimeInterval(-duration.milliseconds / 1000)
        }
        if let f = query.from, let t = query.to, t <= f { throw ReviewError.invalidArgument("to must be after from") }
        if let route = get("route"), !route.isEmpty { query.route = route }
        if let run = get("run"), !run.isEmpty { query.runID = run }
        if let c = get("classification"), !c.isEmpty, c != "all" {
            guard let classification = Classification(rawValue: c) else {
                throw ReviewError.invalidArgument("classification='\(c.prefix(40))'; use regression, noise, race or all")
            }
            query.classification = classification
        }
        self.query = query
    }
}
