import TapCompareComparison
import TapCompareRules

/// The diff engine is what `replay` compares with: the same ``Comparator`` and rules as `serve`.
extension Comparator: ReplayComparing {}

/// Builds the comparison of a replay from the `--rules` directory.
public enum ReplayComparators {
    /// - Parameters:
    ///   - rulesDirectory: a `diff-rules/` directory, or `nil` for no rules (every difference counts).
    ///   - versionHeader: the candidate's response header naming its build (`--version-header`, or the
    ///     `--config` file's `comparison.version_header`), recorded with each comparison as `serve` records it.
    ///     Default none.
    ///   - grpc: how gRPC answers are compared (the `--config` file's `grpc:` section, so a replay compares status,
    ///     message, trailing metadata and every message exactly as `serve` does). Default: no descriptor set
    ///     (messages by field number), `grpc-status` and `grpc-message`.
    /// - Throws: ``ReplayError`` with every rule error (file, line, column, reason) when the rules do not load.
    public static func make(
        rulesDirectory: String?, versionHeader: String? = nil, grpc: Comparator.Configuration.GRPC = .init()
    ) throws(ReplayError) -> any ReplayComparing {
        let configuration = Comparator.Configuration(versionHeader: versionHeader, grpc: grpc)
        guard let directory = rulesDirectory else { return Comparator(configuration: configuration) }
        do {
            return Comparator(ruleSet: try RuleSetLoader.load(directory: directory), configuration: configuration)
        } catch {
            throw .badArgument("--rules \(directory): \(error)")
        }
    }
}
