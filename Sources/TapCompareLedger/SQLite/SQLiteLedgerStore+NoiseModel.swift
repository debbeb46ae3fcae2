import Foundation
import SQLiteNIO

extension SQLiteLedgerStore {
    public func publishNoiseModel(_ m: LedgerNoiseModel) async throws {
        try await self.withSQLiteConnection { conn in
            _ = try await conn.query("BEGIN IMMEDIATE")
            _ = try await conn.query("""
                INSERT INTO noise_models (instance, updated_at, learning, min_share, min_samples, window_size)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (instance) DO UPDATE SET updated_at = excluded.updated_at, learning = excluded.learning,
                    min_share = excluded.min_share, min_samples = excluded.min_samples, window_size = excluded.window_size
                """, [
                    .text(m.instance), .text(LedgerTime.format(m.updatedAt)), .integer(m.learning ? 1 : 0),
                    .float(m.minShare), .integer(m.minSamples), .integer(m.window),
                ])
            _ = try await conn.query("DELETE FROM noise_estimates WHERE instance = ?", [.text(m.instance)])
            for e in m.estimates {
                _ = try await conn.query(
                    "INSERT INTO noise_estimates (instance, route, field, noisy_in, samples) VALUES (?, ?, ?, ?, ?)",
                    [.text(m.instance), .text(e.route), .text(e.field), .integer(e.noisyIn), .integer(e.samples)]
                )
            }
            _ = try await conn.query("COMMIT")
        }
    }

    public func noiseModels() async throws -> [LedgerNoiseModel] {
        try await self.withSQLiteConnection { conn in
            let estimates = try await conn.query(
                "SELECT instance, route, field, noisy_in, samples FROM noise_estimates ORDER BY instance, route, field"
            )
            var byInstance: [String: [LedgerNoiseModel.Estimate]] = [:]
            for row in estimates {
                byInstance[row.column("instance")?.string ?? "", default: []].append(.init(
                    route: row.column("route")?.string ?? "", field: row.column("field")?.string ?? "",
                    noisyIn: row.column("noisy_in")?.integer ?? 0, samples: row.column("samples")?.integer ?? 0
                ))
            }
            let rows = try await conn.query(
                "SELECT instance, updated_at, learning, min_share, min_samples, window_size FROM noise_models ORDER BY updated_at DESC, instance"
            )
            return rows.map { row in
                let instance = row.column("instance")?.string ?? ""
                return LedgerNoiseModel(
                    instance: instance,
                    updatedAt: row.column("updated_at")?.string.flatMap(LedgerTime.parse) ?? Date(timeIntervalSince1970: 0),
                    learning: (row.column("learning")?.integer ?? 0) != 0,
                    minShare: row.column("min_share")?.double ?? 0,
                    minSamples: row.column("min_samples")?.integer ?? 0,
                    window: row.column("window_size")?.integer ?? 0,
                    estimates: byInstance[instance] ?? []
                )
            }
        }
    }
}
