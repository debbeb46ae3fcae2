import Foundation
import Testing
@testable import TapCompareLedger

@Suite("Rollups without a database")
struct RollupUnitTests {
    @Test func bucketRepresentativeIsWithinTheDocumentedError() {
        var rng = SystemRandomNumberGenerator()
        #expect(LatencyBuckets.relativeError < 0.01)
        for _ in 0..<20_000 {
            let ms = pow(10, Double.random(in: -3...6, using: &rng))
            let bucket = LatencyBuckets.bucket(milliseconds: ms)
            let value = LatencyBuckets.representative(of: bucket)
            #expect(abs(value - ms) / ms <= LatencyBuckets.relativeError * (1 + 1e-9), "\(ms) ms → bucket \(bucket) → \(value)")
        }
        #expect(LatencyBuckets.bucket(milliseconds: 0) == LatencyBuckets.zeroBucket)
        #expect(LatencyBuckets.bucket(milliseconds: -3) == LatencyBuckets.zeroBucket)
        #expect(LatencyBuckets.bucket(milliseconds: .nan) == LatencyBuckets.zeroBucket)
        #expect(LatencyBuckets.representative(of: LatencyBuckets.zeroBucket) == 0)
        #expect(LatencyBuckets.bucket(milliseconds: 10) < LatencyBuckets.bucket(milliseconds: 10.5))
    }

    @Test func percentilesFromBucketsAreNearTheExactNearestRank() {
        var rng = SystemRandomNumberGenerator()
        for n in [1, 2, 7, 100, 1_001, 25_000] {
            let values = (0..<n).map { _ in Double.random(in: 0.5...40, using: &rng) * Double.random(in: 1...30, using: &rng) }
            var histogram: [Int: Int] = [:]
            for v in values { histogram[LatencyBuckets.bucket(milliseconds: v), default: 0] += 1 }
            let sorted = values.sorted()
            let estimated = LatencyBuckets.percentiles(histogram, [0.5, 0.9, 0.99])!
            for (i, percent) in [50, 90, 99].enumerated() {
                let exact = sorted[(n * percent + 99) / 100 - 1]
                #expect(abs(estimated[i] - exact) / exact <= LatencyBuckets.relativeError * (1 + 1e-9), "n=\(n) p\(percent): \(estimated[i]) vs \(exact)")
            }
        }
        #expect(LatencyBuckets.percentiles([:], [0.5]) == nil)
    }

    static let hour = Date(timeIntervalSince1970: Double(1_795_000_000 as Int / 3600 * 3600))

    static func comparison(_ at: TimeInterval, outcome: String, route: String = "GET /a", run: String? = nil, reason: String? = nil,
                           legacyStatus: Int? = 200, candidateStatus: Int? = 200, legacy: Double? = 10, candidate: Double? = 12,
                           _ discrepancies: [(String, String)] = []) -> LedgerComparison {
        let d = discrepancies.map { LedgerDiscrepancy(path: "", field: $0.0, kind: "value_changed", legacyValue: "1", candidateValue: "2", classification: $0.1) }
        return LedgerComparison(
            id: UUID(), recordedAt: Self.hour.addingTimeInterval(at), instance: "i", requestID: "r", method: "GET", route: route, path: "/a",
            legacyStatus: legacyStatus, candidateStatus: candidateStatus, legacyMilliseconds: legacy, candidateMilliseconds: candidate,
            outcome: outcome, reason: reason, discrepancyCount: d.count, regressionCount: d.filter { $0.classification == "regression" }.count,
            requestSample: nil, legacySample: nil, candidateSample: nil, samplesTruncated: false, runID: run, linkedComparisonID: nil,
            discrepancies: d
        )
    }

    @Test func outcomesAreKeyedByHourAndCountedOnce() throws {
        let rollups = LedgerRollups([
            Self.comparison(5, outcome: "match"),
            Self.comparison(6, outcome: "mismatch", [("$.a", "regression")]),
            Self.comparison(7, outcome: "mismatch", [("$.a", "noise")]),
            Self.comparison(3_600 + 1, outcome: "mismatch", [("$.a", "regression")]),
            Self.comparison(8, outcome: "skipped", reason: "body_too_large", candidateStatus: nil, candidate: nil),
            Self.comparison(9, outcome: "match", run: "run-7", reason: "ignored for compared outcomes"),
        ])
        let mismatches = rollups.sortedOutcomes.filter { $0.key.outcome == "mismatch" && $0.key.hour == Self.hour }
        #expect(mismatches.count == 1)
        #expect(mismatches.first?.value.comparisons == 2)
        #expect(mismatches.first?.value.regressed == 1, "a mismatch with only noise is not regressed")
        #expect(mismatches.first?.value.firstSeen == Self.hour.addingTimeInterval(6))
        #expect(mismatches.first?.value.lastSeen == Self.hour.addingTimeInterval(7))
        let skip = try #require(rollups.sortedOutcomes.first { $0.key.outcome == "skipped" })
        #expect(skip.key.reason == "body_too_large" && skip.key.candidateStatus == -1)
        let run = try #require(rollups.sortedOutcomes.first { $0.key.runID == "run-7" })
        #expect(run.key.reason == "", "a compared outcome's reason is not a key")
        #expect(rollups.sortedOutcomes.filter { $0.key.hour == Self.hour.addingTimeInterval(3_600) }.count == 1)
        // Latency: compared outcomes only, both sides.
        #expect(rollups.sortedLatency.reduce(0) { $0 + $1.value } == 2 * 5)
        // Sorted by key, so concurrent writers lock in one order.
        #expect(rollups.sortedOutcomes.map(\.key) == rollups.sortedOutcomes.map(\.key).sorted())
    }

    @Test func fieldComparisonsCountEachComparisonOnceUnderItsLeadingClassification() throws {
        let rollups = LedgerRollups([
            // A wildcard field differing three times in one comparison: twice noise, once race.
            Self.comparison(1, outcome: "mismatch", [("$.r[*].id", "noise"), ("$.r[*].id", "race"), ("$.r[*].id", "noise")]),
            Self.comparison(2, outcome: "mismatch", [("$.r[*].id", "noise")]),
            Self.comparison(3, outcome: "mismatch", [("$.r[*].id", "regression"), ("$.r[*].id", "race")]),
        ])
        func row(_ classification: String) throws -> LedgerRollups.FieldCounts {
            try #require(rollups.sortedFields.first { $0.key.classification == classification }).value
        }
        let noise = try row("noise"), race = try row("race"), regression = try row("regression")
        #expect((noise.occurrences, noise.comparisons, noise.leadingComparisons) == (3, 2, 1))
        #expect((race.occurrences, race.comparisons, race.leadingComparisons) == (2, 2, 1))
        #expect((regression.occurrences, regression.comparisons, regression.leadingComparisons) == (1, 1, 1))
        #expect(noise.leadingComparisons + race.leadingComparisons + regression.leadingComparisons == 3, "three distinct comparisons")
    }
}
