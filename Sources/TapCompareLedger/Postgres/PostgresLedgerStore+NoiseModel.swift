import Foundation
import PostgresNIO

extension PostgresLedgerStore {
    public func publishNoiseModel(_ m: LedgerNoiseModel) async throws {
        do {
            try await self.client.withTransaction(logger: self.logger) { conn in
                try await conn.query("""
                    INSERT INTO tapcompare.noise_models (instance, updated_at, learning, min_share, min_samples, window_size)
                    VALUES (\(m.instance), \(m.updatedAt), \(m.learning), \(m.minShare), \(m.minSamples), \(m.window))
                    ON CONFLICT (instance) DO UPDATE SET updated_at = excluded.updated_at, learning = excluded.learning,
                        min_share = excluded.min_share, min_samples = excluded.min_samples, window_size = excluded.window_size
                    """, logger: self.logger)
                try await conn.query("DELETE FROM tapcompare.noise_estimates WHERE instance = \(m.instance)", logger: self.logger)
                guard !m.estimates.isEmpty else { return }
                // One statement for the whole set: the arrays are bound, never spliced into the SQL.
                let routes = m.estimates.map(\.route), fields = m.estimates.map(\.field)
                let noisy = m.estimates.map(\.noisyIn), samples = m.estimates.map(\.samples)
                try await conn.query("""
                    INSERT INTO tapcompare.noise_estimates (instance, route, field, noisy_in, samples)
                    SELECT \(m.instance), * FROM unnest(\(routes)::text[], \(fields)::text[], \(noisy)::int8[], \(samples)::int8[])
                    """, logger: self.logger)
            }
        } catch let error as PostgresTransactionError {
            throw self.unavailable("publish noise model", error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw self.unavailable("publish noise model", error)
        }
    }
}
