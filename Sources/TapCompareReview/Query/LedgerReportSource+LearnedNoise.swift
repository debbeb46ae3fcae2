import Foundation
import TapCompareLedger

extension LedgerReportSource {
    /// At most this many instances' models are reported (each restart of a default-named instance is a new one).
    static let maximumNoiseModels = 20

    /// The published learned-noise models of the instances active in the window, or `nil` when none published
    /// (or the ledger predates the tables: schema version below 3).
    func learnedNoise(_ query: ReportQuery) async throws -> LearnedNoiseReport? {
        let published = try await self.reader.noiseModels(since: query.from, route: query.route, limit: Self.maximumNoiseModels)
        guard !published.isEmpty else { return nil }
        let models = published.map { m in
            NoiseModelSettings(
                instance: m.instance, updatedAt: m.updatedAt, learning: m.learning, minShare: m.minShare, minSamples: m.minSamples, window: m.window
            )
        }
        return Self.learnedNoise(models: models, estimates: published.flatMap { m in
            m.estimates.map { (instance: m.instance, route: $0.route, field: $0.field, noisyIn: $0.noisyIn, samples: $0.samples) }
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
