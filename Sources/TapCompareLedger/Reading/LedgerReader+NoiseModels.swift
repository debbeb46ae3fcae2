import Foundation

extension LedgerReader {
    /// The learned-noise models the `serve` instances last published, newest first, each with its estimates
    /// (by route and field). Empty on a ledger older than the tables (schema version 3).
    /// - Parameters:
    ///   - since: Only models published at or after this time; `nil` for every one.
    ///   - route: Only the estimates of this route; `nil` for every route.
    ///   - limit: At most this many models; `nil` for every one.
    public func noiseModels(since: Date? = nil, route: String? = nil, limit: Int? = nil) async throws -> [LedgerNoiseModel] {
        let d = self.dialect
        let version = try await self.database.query("SELECT max(version) FROM \(d.table("schema_migrations"))", [])
        guard (version.first?.int(0) ?? 0) >= LedgerNoiseModel.schemaVersion else { return [] }

        var sql = SQLBuilder(d)
        sql.append("SELECT instance, \(d.timeText("updated_at")), \(d == .postgres ? "learning::int" : "learning"), min_share, min_samples, window_size FROM \(d.table("noise_models"))")
        if let since {
            sql.append(" WHERE updated_at >= ")
            sql.bind(.time(since))
        }
        sql.append(" ORDER BY updated_at DESC, instance")
        if let limit {
            sql.append(" LIMIT ")
            sql.bind(.int(limit))
        }
        var models = try await self.rows(sql).map { r in
            LedgerNoiseModel(
                instance: r.string(0) ?? "", updatedAt: r.date(1) ?? Date(timeIntervalSince1970: 0), learning: r.bool(2),
                minShare: r.double(3) ?? 0, minSamples: r.int(4) ?? 0, window: r.int(5) ?? 0, estimates: []
            )
        }
        guard !models.isEmpty else { return [] }

        var estimates = SQLBuilder(d)
        estimates.append("SELECT instance, route, field, noisy_in, samples FROM \(d.table("noise_estimates")) WHERE instance IN (")
        estimates.bindList(models.map { .text($0.instance) })
        estimates.append(")")
        if let route {
            estimates.append(" AND route = ")
            estimates.bind(.text(route))
        }
        estimates.append(" ORDER BY instance, route, field")
        var byInstance: [String: [LedgerNoiseModel.Estimate]] = [:]
        for r in try await self.rows(estimates) {
            byInstance[r.string(0) ?? "", default: []].append(
                .init(route: r.string(1) ?? "", field: r.string(2) ?? "", noisyIn: r.int(3) ?? 0, samples: r.int(4) ?? 0)
            )
        }
        for i in models.indices {
            models[i].estimates = byInstance[models[i].instance] ?? []
        }
        return models
    }
}
