import Foundation
import TapCompareLedger

/// One problem: every regression with the same route, kind, field template and value shape (``ValueShape``) —
/// "5 problems" instead of 40,000 rows. Shown first in `report` (issue 19).
public struct ProblemSignature: Sendable, Codable, Hashable {
    /// A stable id over route, kind, field and shape (the first 12 hex digits of their SHA-256), for links.
    public var id: String
    public var route: String
    /// A `DiscrepancyKind` raw value.
    public var kind: String
    /// The field template (`$.comments[*].score`): ids and indices are already folded.
    public var field: String
    /// `int→string`, `string: trailing whitespace trimmed`, `number: rounded`, `missing in candidate`, …
    public var shape: String
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Regression rows with this signature.
    public var occurrences: Int
    /// Comparisons carrying it.
    public var comparisons: Int
    /// `comparisons / the route's compared requests`.
    public var share: Double
    /// The most recent comparisons carrying it (at most ``ProblemSignature/maximumExamples``), newest first.
    public var exampleComparisonIds: [String]
    /// The candidate versions it was seen with (`comparisons.candidate_version`, from `comparison.version_header`):
    /// distinct versions with the comparisons carrying it under each, most recently seen first, at most
    /// ``ProblemSignature/maximumVersions``. Empty when no version was recorded.
    public var versions: [CandidateVersionCount] = []
    /// Distinct versions seen beyond those listed in ``versions``.
    public var moreVersions: Int = 0
    /// What a reviewer set (`open`, `accepted`, `fixed`; ``ProblemStatusRecord``); `open` until someone does.
    public var status: String = ProblemStatus.open.rawValue
    public var statusNote: String?
    public var statusSetAt: Date?
    /// Marked `fixed`, yet seen after that: the fix regressed (or never shipped).
    public var fixRegressed: Bool = false

    public static let maximumExamples = 3
    /// Versions listed per problem: the few builds a reviewer compares (did the last deploy fix it?).
    public static let maximumVersions = 5
}

/// One candidate version a problem was seen with.
public struct CandidateVersionCount: Sendable, Codable, Hashable {
    /// The candidate's version header value, as stored (at most 64 printable ASCII bytes).
    public var version: String
    /// Comparisons carrying the problem that this version answered.
    public var comparisons: Int
    /// The latest of them.
    public var lastSeen: Date?

    public init(version: String, comparisons: Int, lastSeen: Date?) {
        self.version = version
        self.comparisons = comparisons
        self.lastSeen = lastSeen
    }
}

/// The statuses a reviewer can give a problem.
public enum ProblemStatus: String, Sendable, Codable, CaseIterable {
    /// Still to look at (the default).
    case open
    /// An intended change: to be turned into a rule.
    case accepted
    /// Expected to disappear: seen again after this is the fix regressing.
    case fixed
}

/// A status as stored in the ledger's `problem_status` table (schema version 6), one row per signature.
public typealias ProblemStatusRecord = LedgerProblemStatus

/// The body of `POST /api/v1/problems/status`: the problem by its signature's parts (the id is computed from them)
/// and the status to give it.
public struct NewProblemStatus: Sendable, Codable, Hashable {
    public var route: String
    public var kind: String
    public var field: String
    public var shape: String
    public var status: String
    public var note: String?
    public var setBy: String?

    public init(route: String, kind: String, field: String, shape: String, status: String, note: String? = nil, setBy: String? = nil) {
        self.route = route
        self.kind = kind
        self.field = field
        self.shape = shape
        self.status = status
        self.note = note
        self.setBy = setBy
    }
}

/// One regression row, as the signature grouping reads it.
public typealias RegressionRow = LedgerRegression
