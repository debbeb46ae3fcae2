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
}
