import Foundation
import TapCompareLedger

extension LedgerReportSource {
    /// One row of the grouped store-check scan.
    typealias StoreCheckGroup = LedgerStoreCheckGroup

    public func storeChecks(_ query: ReportQuery) async throws -> [StoreCheckRoute] {
        try await self.reviewing { try await self.storeCheckRoutes(query) }
    }

    /// The write matrix of the window's store checks; the route filter is applied here (it names a write route or
    /// one store check route).
    func storeCheckRoutes(_ query: ReportQuery) async throws -> [StoreCheckRoute] {
        StoreCheckAssembler.assemble(try await self.reader.storeCheckGroups(query), route: query.route)
    }

    /// The query for the HTTP figures: without the window's store-check routes. A route filter already selects one
    /// route (a store check's route only when asked for by name), so only an unfiltered query excludes.
    func httpQuery(_ query: ReportQuery, storeChecks: [StoreCheckRoute]) -> ReportQuery {
        guard query.route == nil else { return query }
        var q = query
        q.excludedRoutes = storeChecks.flatMap { $0.stores.map(\.route) }.sorted()
        return q
    }
}
