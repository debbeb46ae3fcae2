import Foundation
import TapCompareReview
import Testing

/// The verdict's statistics against published values. The one-sided bound at confidence c is the upper end of
/// the two-sided Wilson interval at 2c − 1, so at 0.975 it must equal the familiar 95 % interval's upper end
/// (Wilson 1927; e.g. Newcombe 1998, Table I: 0/10 → 0.2775, 1/10 → 0.4042, 5/10 → 0.7634).
struct WilsonBoundTests {
    @Test func normalQuantilesMatchTheTables() {
        #expect(abs(WilsonBound.quantile(0.95) - 1.644854) < 1e-6)
        #expect(abs(WilsonBound.quantile(0.975) - 1.959964) < 1e-6)
        #expect(abs(WilsonBound.quantile(0.99) - 2.326348) < 1e-6)
        #expect(abs(WilsonBound.quantile(0.5)) < 1e-12)
    }

    @Test func upperBoundsMatchPublishedWilsonIntervals() {
        #expect(abs(WilsonBound.upper(failures: 0, trials: 10, confidence: 0.975) - 0.2775) < 5e-5)
        #expect(abs(WilsonBound.upper(failures: 1, trials: 10, confidence: 0.975) - 0.4042) < 5e-5)
        #expect(abs(WilsonBound.upper(failures: 5, trials: 10, confidence: 0.975) - 0.7634) < 5e-5)
        #expect(WilsonBound.upper(failures: 10, trials: 10, confidence: 0.975) == 1)
        #expect(WilsonBound.upper(failures: 0, trials: 0, confidence: 0.95) == 1)
    }

    /// The example: no regression in 3,000 comparisons bounds the rate at about 0.1 %: z²/(n + z²) =
    /// 0.0901 % one-sided at 95 % (0.128 % at 97.5 %, the two-sided 95 % interval's end).
    @Test func zeroRegressionsInThreeThousandBoundsTheRateNearOneInAThousand() {
        let bound = WilsonBound.upper(failures: 0, trials: 3000, confidence: 0.95)
        #expect(abs(bound - 0.00090104) < 1e-7)
        #expect(bound < 0.001)
        #expect(abs(WilsonBound.upper(failures: 0, trials: 3000, confidence: 0.975) - 0.00127885) < 1e-7)
        #expect(abs(WilsonBound.upper(failures: 3, trials: 1000, confidence: 0.95) - 0.0074825) < 1e-6)
    }

    @Test func trialsNeededIsTheSmallestCountUnderTheTarget() throws {
        // 0 regressions: z²/(N + z²) ≤ 0.001 first at N = 2,703.
        #expect(WilsonBound.trialsNeeded(failures: 0, target: 0.001, confidence: 0.95) == 2703)
        #expect(WilsonBound.upper(failures: 0, trials: 2702, confidence: 0.95) > 0.001)
        // 1 regression: at 4,480.
        let one = try #require(WilsonBound.trialsNeeded(failures: 1, target: 0.001, confidence: 0.95))
        #expect(one == 4480)
        #expect(WilsonBound.upper(failures: 1, trials: one - 1, confidence: 0.95) > 0.001)
        #expect(WilsonBound.upper(failures: 1, trials: one, confidence: 0.95) <= 0.001)
        // A floor already past the bound is the answer itself.
        #expect(WilsonBound.trialsNeeded(failures: 0, target: 0.001, confidence: 0.95, atLeast: 5000) == 5000)
        #expect(WilsonBound.trialsNeeded(failures: 0, target: 0, confidence: 0.95) == nil)
    }
}
