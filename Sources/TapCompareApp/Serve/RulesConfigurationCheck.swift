import TapCompareCore
import TapCompareGRPC
import TapCompareRules
import TapCompareStoreChecks

/// The diff rules checked against the configuration they run with, at start and on every SIGHUP reload: a rule file
/// is loaded on its own (`tapcompare rules check` has no configuration), so a name it shares with the configuration
/// can only be checked here. A block whose `store:` is not declared, or whose gRPC route the descriptor set does not
/// hold, would never apply and its normalization would be dropped without a word.
struct RulesConfigurationCheck: Sendable {
    let configuration: ServeConfiguration
    /// The configuration file, named in the fix (`command line` when there is none).
    let configurationFile: String

    /// Every mistake, each at its place in a rule file; empty when the rules fit the configuration.
    func mistakes(in ruleSet: RuleSet) -> [RuleDiagnostic] {
        var mistakes: [RuleDiagnostic] = []
        let declared = self.configuration.storeChecks.stores.keys.sorted()
        for block in ruleSet.blocks {
            for (name, source) in zip(block.stores, block.storeSources) where !declared.contains(name) {
                let hint = Spelling.closest(to: name, in: declared).map { "did you mean '\($0)'? " } ?? ""
                let list = declared.isEmpty ? "none; declare the store there or remove 'store:'" : declared.joined(separator: ", ")
                mistakes.append(source.diagnostic("store: '\(name)' is not declared under stores: in \(self.configurationFile); \(hint)(declared: \(list))"))
            }
            if let set = self.configuration.grpcDescriptors {
                for (template, source) in zip(block.routes, block.routeSources) {
                    guard let path = ConfigurationLoader.callPath(of: template), set.method(path: path) == nil else { continue }
                    mistakes.append(source.diagnostic("route: " + ConfigurationLoader.notInDescriptorSet(path, set, self.configuration.grpc.descriptorSetPath)))
                }
            }
        }
        return mistakes
    }
}
