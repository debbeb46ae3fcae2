import Foundation

/// The fixed log-scale latency buckets of the hourly rollups (`rollup_latency`), and percentiles read back from
/// them.
///
/// Bucket `i` holds the latencies in (γ^(i−1), γ^i] milliseconds with γ = 1.02; zero, negative and non-finite
/// latencies go to ``zeroBucket``. A percentile is the nearest-rank bucket's representative value 2γ^i / (γ + 1),
/// whose distance to any latency in the bucket is at most (γ − 1) / (γ + 1) ≈ 0.99 % of that latency: the
/// documented relative error of every percentile the report shows (``relativeError``).
///
/// The same function buckets rows in the writer (Swift), in Postgres (``postgresExpression(_:)``, `ln` and
/// `ceil` over the same IEEE doubles) and in SQLite (a custom function calling ``bucket(milliseconds:)``), so a
/// backfilled rollup and a written one agree.
public enum LatencyBuckets {
    /// Growth factor between bucket bounds.
    public static let gamma = 1.02
    /// Largest relative error of a percentile read from the buckets: (γ − 1) / (γ + 1) ≈ 0.0099.
    public static let relativeError = (gamma - 1) / (gamma + 1)
    /// The bucket of zero, negative and non-finite latencies (represented as 0 ms).
    public static let zeroBucket = -100_000
    /// The SQLite function name that computes ``bucket(milliseconds:)`` (installed on every connection we open).
    public static let sqliteFunctionName = "tapcompare_latency_bucket"

    private static let logGamma = log(gamma)

    /// The bucket holding `milliseconds`.
    public static func bucket(milliseconds: Double) -> Int {
        guard milliseconds.isFinite, milliseconds > 0 else { return zeroBucket }
        return Int((log(milliseconds) / logGamma).rounded(.up))
    }

    /// The value reported for a bucket: within ``relativeError`` of every latency it holds.
    public static func representative(of bucket: Int) -> Double {
        guard bucket != zeroBucket else { return 0 }
        return 2 * pow(gamma, Double(bucket)) / (gamma + 1)
    }

    /// The same bucket in Postgres SQL for a `double precision` column (`NaN` and `Infinity` compare above every
    /// finite value there, hence the upper test).
    public static func postgresExpression(_ column: String) -> String {
        "(CASE WHEN \(column) > 0 AND \(column) < 'Infinity'::float8 THEN ceil(ln(\(column)) / ln(\(gamma)::float8))::integer ELSE \(zeroBucket) END)"
    }

    /// Nearest-rank percentiles (rank ⌈n·p⌉, as `percentile_disc`) of a histogram, as bucket representatives.
    ///
    /// - Parameters:
    ///   - counts: Rows per bucket (buckets in any order; zero counts ignored).
    ///   - fractions: Percentiles as fractions (`0.5`, `0.9`, `0.99`).
    /// - Returns: One value per fraction, or `nil` for an empty histogram.
    public static func percentiles(_ counts: [Int: Int], _ fractions: [Double]) -> [Double]? {
        let sorted = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        let total = sorted.reduce(0) { $0 + $1.value }
        guard total > 0 else { return nil }
        return fractions.map { p in
            // ⌈n·p⌉ in integers where p is a whole percent, as the raw queries do ((n * 50 + 99) / 100).
            let percent = Int((p * 100).rounded())
            let rank = max(1, (total * percent + 99) / 100)
            var seen = 0
            for (bucket, n) in sorted {
                seen += n
                if seen >= rank { return representative(of: bucket) }
            }
            return representative(of: sorted.last!.key)
        }
    }
}
