import Metrics
import NIOConcurrencyHelpers
import TapCompareRules

/// How many times each rule of a rule set applied: an in-memory snapshot for reports, and the metric
/// `tapcompare_rule_applications_total{rule}`.
///
/// A rule applies when its path selects a value being compared (or, for `status_equivalent`, when it makes two
/// different codes equal). A rule that stays at zero never matched anything: a typo'd path, or a rule that can
/// be deleted. The comparator counts locally during one comparison and adds here once, so the hot path takes
/// no lock per node. Metric handles are created once per rule.
public final class RuleApplicationCounters: Sendable {
    public let rules: [Rule]
    private let counts: NIOLockedValueBox<[Int]>
    private let counters: [Counter]

    public init(rules: [Rule]) {
        self.rules = rules
        self.counts = NIOLockedValueBox([Int](repeating: 0, count: rules.count))
        self.counters = rules.map { Counter(label: "tapcompare_rule_applications_total", dimensions: [("rule", $0.name)]) }
    }

    /// Adds one comparison's applications (rule id → count).
    func add(_ applications: [Int: Int]) {
        guard !applications.isEmpty else { return }
        self.counts.withLockedValue { counts in
            for (rule, n) in applications where rule < counts.count { counts[rule] += n }
        }
        for (rule, n) in applications where rule < self.counters.count { self.counters[rule].increment(by: n) }
    }

    /// Every rule with its count so far, in rule order (zero for rules that never applied).
    public func snapshot() -> [(rule: Rule, applications: Int)] {
        let counts = self.counts.withLockedValue { $0 }
        return self.rules.map { ($0, counts[$0.id]) }
    }
}
