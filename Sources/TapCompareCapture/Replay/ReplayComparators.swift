import TapCompareComparison
import TapCompareRules

/// The diff engine is what `replay` compares with: the same ``Comparator`` and rules as `serve`.
extension Comparator: ReplayComparing {}

/// Builds the comparison of a replay from the `--rules` directory.
public enum ReplayComparators {
    /// - Parameter rulesDirectory: a `diff-rules/` directory, or `nil` for no rules (every difference counts).
    /// - Throws: ``ReplayError`` with every rule error (file, line, column, reason) when the rules do not load.
    public static func make(rulesDirectory: String?) throws(ReplayError) -> any ReplayComparing {
        guard let directory = rulesDirectory else { return Comparator() }
        do {
            return Comparator(ruleSet: try RuleSetLoader.load(directory: directory))
        } catch {
            throw .badArgument("--rules \(directory): \(error)")
        }
    }
}
