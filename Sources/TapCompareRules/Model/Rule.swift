import TapCompareJSON

/// One rule of a rule set: the unit that is counted when it applies.
///
/// An `ignore` list of three paths is three rules, so a report can tell which of the three never matched.
public struct Rule: Sendable, Hashable, CustomStringConvertible {
    /// Position in ``RuleSet/rules``; the index of this rule's counter.
    public var id: Int
    /// A stable, readable name used as the metric label `rule`:
    /// `GET /api/v1/comments/{id} ignore $.request_id`.
    public var name: String
    public var kind: Kind
    /// Where the rule is written, `comments.yml:12:7`.
    public var location: String

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case ignore
        case unordered
        case tolerance
        case equivalent
        case replace
        case statusEquivalent = "status_equivalent"
        case numbers
    }

    public var description: String { self.name }
}

/// What a path rule does to the values it selects.
public enum PathAction: Sendable {
    /// Not compared at all (nor anything below).
    case ignore
    /// The array is compared as a multiset, or, with `key`, by matching elements on that member.
    case unordered(key: String?)
    /// Numbers within `absolute` or within `relative` × the larger magnitude are equal.
    case tolerance(absolute: Double?, relative: Double?)
    /// Values denoting the same thing are equal.
    case equivalent(Equivalence)
    /// Strings are rewritten on both sides before comparing.
    case replace(RegexReplacement)
}

/// The kinds of `equivalent` rules.
public enum Equivalence: String, Sendable, Hashable, CaseIterable {
    /// RFC 3339 timestamps with any offset, epoch seconds and epoch milliseconds (numbers or digit strings)
    /// are equal when they denote the same instant.
    case timestamp
    /// Strings equal after Unicode lower-casing.
    case caseInsensitive = "case_insensitive"
}

/// A path rule: the path it applies to, what it does, and which ``Rule`` counts it.
public struct PathRule: Sendable {
    public var path: JSONPath
    public var action: PathAction
    public var rule: Int
}
