import Foundation

extension LedgerReportSource {
    /// At most this many instances' models are reported (each restart of a default-named instance is a new one).
    static let maximumNoiseModels = 20

    /// The published learned-noise models of the instances active in the window, or `nil` when none published
    /// (or the ledger predates the tables: schema version below 3).
    func learnedNoise(_ query: ReportQuery) async throws -> LearnedNoiseReport? {
        let d = self.dialect
        let version = try await self.database.query("SELECT max(version) FROM \(d.table("schema_migrations"))", [])
        guard (version.first?.int(0) ?? 0) >= 3 else { return nil }

        var sql = SQLBuilder(d)
        sql.append("SELECT instance, \(d.timeText("updated_at")), \(d == .postgres ? "learning::int" : "learning"), min_share, min_samples, window_size FROM \(d.table("noise_models"))")
        if let from = query.from {
            sql.append(" WHERE updated_at >= ")
            sql.bind(.time(from))
        }
        sql.append(" ORDER BY updated_at DESC, instance LIMIT \(Self.maximumNoiseModels)")
        let models = try await self.database.query(sql.sql, sql.binds).map { r in
            NoiseModelSettings(
                instance: r.string(0) ?? "", updatedAt: r.date(1) ?? Date(timeIntervalSince1970: 0), learning: r.bool(2),
                minShare: r.double(3) ?? 0, minSamples: r.int(4) ?? 0, window: r.int(5) ?? 0
            )
        }
        guard !models.isEmpty else { return nil }

        var estimates = SQLBuilder(d)
        estimates.append("SELECT instance, route, field, noisy_in, samples FROM \(d.table("noise_estimates")) WHERE instance IN (")
        for (i, m) in models.enumerated() {
            if i > 0 { estimates.append(", ") }
            estimates.bind(.text(m.instance))
        }
        estimates.append(")")
        if let route = query.route {
            estimates.append(" AND route = ")
            estimates.bind(.text(route))
        }
        let rows = try await self.database.query(estimates.sql, estimates.binds)
        return Self.learnedNoise(models: models, estimates: rows.map {
            (instance: $0.string(0) ?? "", route: $0.string(1) ?? "", field: $0.string(2) ?? "", noisyIn: $0.int(3) ?? 0, samples: $0.int(4) ?? 0)
        })
    }

    /// Per (route, field) the estimate of the newest instance that has one, judged by that instance's thresholds.
    static func learnedNoise(
        models: [NoiseModelSettings],
        estimates: [(instance: String, route: String, field: String, noisyIn: Int, samples: Int)]
    ) -> LearnedNoiseReport {
        let rank = Dictionary(models.enumerated().map { ($1.instance, $0) }, uniquingKeysWith: min)
        var newest: [String: (rank: Int, field: LearnedNoiseField)] = [:]
        for e in estimates {
            guard let r = rank[e.instance] else { continue }
            let model = models[r]
            let share = e.samples == 0 ? 0 : Double(e.noisyIn) / Double(e.samples)
            let field = LearnedNoiseField(
                route: e.route, field: e.field, noisyIn: e.noisyIn, samples: e.samples, share: share,
                classifiedAsNoise: e.samples >= max(1, model.minSamples) && share >= model.minShare, instance: e.instance
            )
            let key = e.route + "\u{0}" + e.field
            if let existing = newest[key], existing.rank <= r { continue }
            newest[key] = (r, field)
        }
        let fields = newest.values.map(\.field).sorted {
            ($0.classifiedAsNoise ? 1 : 0, $0.share, $1.route, $1.field) > ($1.classifiedAsNoise ? 1 : 0, $1.share, $0.route, $0.field)
        }
        return LearnedNoiseReport(models: models, fields: fields)
    }
}
