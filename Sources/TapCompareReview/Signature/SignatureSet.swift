import Foundation

/// The comparisons that carry exactly one set of problems (``ProblemSignature``): "A and B together in 1,200
/// comparisons, A alone in 300" — problems that keep coming together are likely one root cause behind two
/// symptoms. Every comparison carrying a problem is in exactly one set (a set of one problem included).
public struct SignatureSet: Sendable, Codable, Hashable {
    /// The route of its comparisons (a comparison has one route, so a set never spans two).
    public var route: String
    /// The problems' ids (``ProblemSignature/id``), in the report's problem order.
    public var signatures: [String]
    /// The same problems, readable: `field: shape` (`$.score: float changed`).
    public var labels: [String]
    /// Comparisons carrying exactly these problems.
    public var comparisons: Int
    /// `comparisons /` every comparison carrying a problem in the window (the grouped regressions').
    public var share: Double

    public init(route: String, signatures: [String], labels: [String], comparisons: Int, share: Double) {
        self.route = route
        self.signatures = signatures
        self.labels = labels
        self.comparisons = comparisons
        self.share = share
    }

    /// Sets listed in a report, most comparisons first; the rest are counted in
    /// ``Report/signatureSetsOmitted``.
    public static let maximumListed = 10

    /// How a problem is named in a set.
    static func label(_ p: ProblemSignature) -> String {
        "\(p.field): \(p.shape)"
    }
}

/// What ``SignatureGrouper/grouping(_:compared:)`` makes of the window's regression rows.
public struct SignatureGrouping: Sendable, Hashable {
    public var problems: [ProblemSignature]
    /// The most common sets first, at most ``SignatureSet/maximumListed``.
    public var sets: [SignatureSet]
    /// Comparisons whose set is not listed in ``sets``.
    public var setsOmitted: Int
}
