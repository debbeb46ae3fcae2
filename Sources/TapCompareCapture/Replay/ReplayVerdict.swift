import Foundation

/// The CI verdict of a replay: the exit status and its one-line reason.
public struct ReplayVerdict: Sendable, Hashable {
    /// `0` passed, `1` too many mismatches, `2` the run could not judge (see ``ReplayError``).
    public var exitCode: Int32
    public var reason: String

    /// Judges a finished replay.
    ///
    /// - A run where nothing was replayed, or where the candidate never answered once, is an error (exit 2):
    ///   a CI job must not pass because the candidate was down or every exchange was skipped.
    /// - Otherwise the failing fraction (regressions, candidate errors and timeouts over judged exchanges)
    ///   is compared with `maxMismatchRate`.
    /// - Parameter expected: the exchanges a one-pass replay was to go through (`nil` for `--loop` and
    ///   `--duration`, which end when stopped). A one-pass run stopped (SIGINT, SIGTERM) before it went through
    ///   them all could not judge (exit 2): a CI gate must not pass on the part it finished.
    public static func judge(_ summary: ReplaySummary, candidate: String, maxMismatchRate: Double, expected: Int? = nil) -> ReplayVerdict {
        if summary.load.interrupted, let expected, summary.total < expected {
            return ReplayVerdict(
                exitCode: 2,
                reason: "interrupted after \(summary.total) of \(expected) exchanges: a partial replay is no verdict; run it to the end"
            )
        }
        if summary.judged == 0 {
            let skipped = summary.skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            var reason = "nothing was replayed: \(summary.total) exchanges, all skipped (\(skipped))"
            if summary.skipped["unsafe_method"] != nil { reason += "; add --include-writes to replay writes" }
            return ReplayVerdict(exitCode: 2, reason: reason)
        }
        if summary.responsesReceived == 0 {
            let firstReason = summary.sortedRoutes.compactMap(\.firstError).min { $0.index < $1.index }?.reason ?? "no response"
            return ReplayVerdict(exitCode: 2, reason: "candidate \(candidate) could not be reached: \(firstReason)")
        }
        let rate = summary.mismatchRate
        let described = "\(summary.failing) of \(summary.judged) exchanges failed (\(Self.percent(rate))"
            + (summary.candidateErrors + summary.candidateTimeouts > 0
                ? ", \(summary.candidateErrors) candidate errors, \(summary.candidateTimeouts) timeouts" : "")
            + "), allowed \(Self.percent(maxMismatchRate))"
        if rate <= maxMismatchRate {
            return ReplayVerdict(exitCode: 0, reason: "passed: " + described)
        }
        return ReplayVerdict(exitCode: 1, reason: "failed: " + described)
    }

    static func percent(_ rate: Double) -> String {
        let p = rate * 100
        if p == 0 { return "0%" }
        if p < 0.1 { return String(format: "%.3f%%", p) }
        return String(format: "%.1f%%", p)
    }
}
