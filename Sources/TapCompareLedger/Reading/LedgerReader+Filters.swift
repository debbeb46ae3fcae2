import Foundation
import TapCompareCore

extension LedgerReader {
    /// Runs one statement as written, with `binds` for its placeholders (`$1` on Postgres, `?1` on SQLite): for
    /// tests and benchmarks that check what was stored. Everything the product reads has a method of its own.
    package func query(_ sql: String, _ binds: [LedgerReadValue]) async throws -> [LedgerReadRow] {
        try await self.database.query(sql, binds)
    }

    /// Runs one built statement.
    func rows(_ sql: SQLBuilder) async throws -> [LedgerReadRow] {
        try await self.database.query(sql.sql, sql.binds)
    }

    /// Runs an `INSERT … RETURNING` and returns the stored row.
    /// - Throws: ``LedgerError`` when the statement fails or returns nothing (`what` names the row).
    func insertedRow(_ sql: SQLBuilder, what: String) async throws -> LedgerReadRow {
        guard let row = try await self.rows(sql).first else {
            throw LedgerError.queryFailed("the ledger \(self.url) did not return the stored \(what)")
        }
        return row
    }

    /// The window split into rollup hours and raw edges (everything raw on a ledger without rollups).
    package func window(_ query: LedgerQuery) async throws -> RollupWindow {
        RollupWindow(query, rollups: try await self.rollups.check(self.database))
    }

    /// Appends ` AND …` conditions for the query's window, route and run. `table` is `comparisons` or
    /// `discrepancies` (which has no `run_id`: a run filter goes through the comparison).
    func appendFilters(_ sql: inout SQLBuilder, _ query: LedgerQuery, table: String) {
        self.appendConditions(&sql, time: "recorded_at", from: query.from, to: query.to, query, runThroughComparison: table != "comparisons")
    }

    /// Appends ` AND …` conditions on a rollup table for the hours, route and run (live traffic is stored there
    /// with run_id '': a key column cannot be NULL).
    func appendRollupFilters(_ sql: inout SQLBuilder, _ hours: RollupWindow.Hours, _ query: LedgerQuery) {
        self.appendConditions(&sql, time: "hour", from: hours.from, to: hours.to, query, runThroughComparison: false)
    }

    /// ` AND …` for `[from, to)` on the `time` column, then the query's route, excluded routes and run.
    private func appendConditions(
        _ sql: inout SQLBuilder, time: String, from: Date?, to: Date?, _ query: LedgerQuery, runThroughComparison: Bool
    ) {
        if let from {
            sql.append(" AND \(time) >= ")
            sql.bind(.time(from))
        }
        if let to {
            sql.append(" AND \(time) < ")
            sql.bind(.time(to))
        }
        if let route = query.route {
            sql.append(" AND route = ")
            sql.bind(.text(route))
        }
        Self.appendExclusions(&sql, query)
        if let run = query.runID {
            if runThroughComparison {
                sql.append(" AND comparison_id IN (SELECT id FROM \(self.dialect.table("comparisons")) WHERE run_id = ")
                sql.bind(.text(run))
                sql.append(")")
            } else {
                sql.append(" AND run_id = ")
                sql.bind(.text(run))
            }
        }
    }

    /// Appends ` AND route NOT IN (…)` for the query's ``LedgerQuery/excludedRoutes`` (a few store-check routes:
    /// one per write route and store).
    static func appendExclusions(_ sql: inout SQLBuilder, _ query: LedgerQuery) {
        guard !query.excludedRoutes.isEmpty else { return }
        sql.append(" AND route NOT IN (")
        sql.bindList(query.excludedRoutes.map { .text($0) })
        sql.append(")")
    }

    /// ` WHERE …` for one field's discrepancies (route, field, kind) with the query's window, run and
    /// classification.
    func appendFieldFilter(_ sql: inout SQLBuilder, route: String, field: String, kind: String?, query: LedgerQuery) {
        var q = query
        q.route = nil
        sql.append(" WHERE route = ")
        sql.bind(.text(route))
        sql.append(" AND field = ")
        sql.bind(.text(field))
        if let kind {
            sql.append(" AND kind = ")
            sql.bind(.text(kind))
        }
        self.appendFilters(&sql, q, table: "discrepancies")
        if let c = query.classification {
            sql.append(" AND classification = ")
            sql.bind(.text(c.rawValue))
        }
    }
}
