import Foundation

/// The Wilson score bound on a rate: how high the true regression rate can be, at a given confidence, when `k` of
/// `n` comparisons regressed.
///
/// One-sided: the question a cut-over asks is "is the rate at most the target?", so a confidence of 0.95 uses
/// z = 1.645 and the bound is the upper end of the two-sided 90 % Wilson interval (a confidence of 0.975 gives the
/// upper end of the familiar two-sided 95 % interval). Wilson rather than the normal approximation because it
/// stays meaningful at 0 regressions, where most routes sit: the bound is then z² / (n + z²), about 2.7 / n at
/// 95 % (the "rule of three" gives 3 / n). Pure: no I/O, unit-tested against published values.
public enum WilsonBound {
    /// The one-sided upper bound of the rate, 0…1.
    /// - Parameters:
    ///   - failures: regressions, 0…`trials`.
    ///   - trials: comparisons; with none the bound is 1 (nothing is known).
    ///   - confidence: one-sided confidence, e.g. 0.95.
    public static func upper(failures: Int, trials: Int, confidence: Double) -> Double {
        guard trials > 0 else { return 1 }
        let z = self.quantile(confidence)
        let n = Double(trials)
        let p = Double(min(max(failures, 0), trials)) / n
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let margin = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return min(1, (centre + margin) / (1 + z2 / n))
    }

    /// The smallest number of comparisons in total, at least `atLeast`, for which `failures` regressions (none
    /// more) bring the upper bound to `target` or below; `nil` when no count does (a target of 0, or more than
    /// 10¹² comparisons needed). The bound falls as comparisons grow with the regressions fixed, so this is a
    /// doubling search followed by bisection.
    public static func trialsNeeded(failures: Int, target: Double, confidence: Double, atLeast: Int = 1) -> Int? {
        guard target > 0 else { return nil }
        let limit = 1_000_000_000_000
        var low = max(atLeast, failures, 1)
        if self.upper(failures: failures, trials: low, confidence: confidence) <= target { return low }
        var high = low
        repeat {
            low = high
            guard high < limit else { return nil }
            high = min(high * 2, limit)
        } while self.upper(failures: failures, trials: high, confidence: confidence) > target
        // upper(low) > target >= upper(high)
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if self.upper(failures: failures, trials: mid, confidence: confidence) <= target { high = mid } else { low = mid }
        }
        return high
    }

    /// The standard normal quantile: the z with Φ(z) = `probability` (0 < probability < 1), by bisection on
    /// Φ(z) = erfc(−z/√2) / 2 — exact to double precision, and cheap enough for the few calls a verdict makes.
    public static func quantile(_ probability: Double) -> Double {
        let p = min(max(probability, 1e-15), 1 - 1e-15)
        var low = -40.0, high = 40.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { low = mid } else { high = mid }
            if high - low < 1e-15 { break }
        }
        return (low + high) / 2
    }
}
