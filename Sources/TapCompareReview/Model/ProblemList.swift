import Foundation

/// The window's problems alone (`GET /api/v1/problems`, the UI's default view): the signatures of
/// ``Report/problems`` without the rest of the report, and how many need a reviewer.
public struct ProblemList: Sendable, Codable, Hashable {
    /// Most comparisons first, as in the report.
    public var problems: [ProblemSignature]
    /// As ``Report/problemsTruncated``: only the newest ``LedgerReportSource/maximumSignatureRows`` regression
    /// rows were grouped.
    public var truncated: Bool

    /// As ``Report/signatureSets``: comparisons grouped by the set of problems they carry, most common first.
    public var signatureSets: [SignatureSet]
    /// As ``Report/signatureSetsOmitted``.
    public var signatureSetsOmitted: Int

    public init(problems: [ProblemSignature], truncated: Bool, signatureSets: [SignatureSet] = [], signatureSetsOmitted: Int = 0) {
        self.problems = problems
        self.truncated = truncated
        self.signatureSets = signatureSets
        self.signatureSetsOmitted = signatureSetsOmitted
    }

    /// The problems by status, for the headline "N problems": ``ProblemCounts/needingReview`` of them.
    public var counts: ProblemCounts { ProblemCounts(self.problems) }
}

/// How many problems have each status. `fixed` counts the fixed problems not seen since they were marked;
/// ``fixRegressed`` the fixed ones seen again, which need a reviewer as much as the open ones.
public struct ProblemCounts: Sendable, Codable, Hashable {
    public var open = 0
    public var accepted = 0
    public var fixed = 0
    public var fixRegressed = 0
    /// Open ones and fixed ones seen again: what the UI's headline counts.
    public var needingReview: Int { self.open + self.fixRegressed }

    public init(_ problems: [ProblemSignature]) {
        for p in problems {
            switch ProblemStatus(rawValue: p.status) {
            case .accepted: self.accepted += 1
            case .fixed: if p.fixRegressed { self.fixRegressed += 1 } else { self.fixed += 1 }
            case .open, nil: self.open += 1
            }
        }
    }

    enum CodingKeys: String, CodingKey { case open, accepted, fixed, fixRegressed, needingReview }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.open, forKey: .open)
        try c.encode(self.accepted, forKey: .accepted)
        try c.encode(self.fixed, forKey: .fixed)
        try c.encode(self.fixRegressed, forKey: .fixRegressed)
        try c.encode(self.needingReview, forKey: .needingReview)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.open = try c.decode(Int.self, forKey: .open)
        self.accepted = try c.decode(Int.self, forKey: .accepted)
        self.fixed = try c.decode(Int.self, forKey: .fixed)
        self.fixRegressed = try c.decode(Int.self, forKey: .fixRegressed)
    }
}
