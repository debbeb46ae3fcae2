import NIOConcurrencyHelpers
import TapCompareJSON

/// A validated set of rules loaded from `diff-rules/`, ready for comparisons.
///
/// Immutable and `Sendable`: a reload builds a new set and swaps it in whole. The per-route compilation is
/// cached by the combination of blocks that apply, which is small and bounded by the rule files.
public struct RuleSet: Sendable {
    /// Every rule, indexed by ``Rule/id``.
    public let rules: [Rule]
    public let blocks: [RuleBlock]
    /// The files the set was loaded from, for logs.
    public let files: [String]
    /// Member names that identify array elements (see ``RouteRules/identityKeys``): a rule file's top-level
    /// `identity_keys:`, else ``defaultIdentityKeys``.
    public let identityKeys: [String]
    private let cache: RouteRulesCache

    /// The identity keys when no rule file sets `identity_keys:`: `id`, `uuid`, `key`.
    public static let defaultIdentityKeys = ["id", "uuid", "key"]

    /// A set with no rules: every difference is reported, numbers compared by value, `content-type` compared.
    public static let empty = RuleSet(rules: [], blocks: [], files: [])

    init(rules: [Rule], blocks: [RuleBlock], files: [String], identityKeys: [String] = RuleSet.defaultIdentityKeys) {
        self.rules = rules
        self.blocks = blocks
        self.files = files
        self.identityKeys = identityKeys
        self.cache = RouteRulesCache()
    }

    /// ``RouteRules/none`` with this set's identity keys.
    private var noRules: RouteRules {
        var rules = RouteRules.none
        rules.identityKeys = self.identityKeys
        return rules
    }

    /// The compiled rules for one exchange.
    ///
    /// The blocks were checked at load time for every route they name, so compilation cannot fail for them;
    /// should a combination of blocks exceed the matcher's limit anyway, its path rules are dropped and the
    /// rest still applies (so nothing is hidden: fewer rules means more discrepancies, never fewer).
    public func routeRules(route: String, method: String, path: Substring, store: String? = nil) -> RouteRules {
        if self.blocks.isEmpty { return self.noRules }
        var key: [Int] = []
        for (i, block) in self.blocks.enumerated() where block.applies(route: route, method: method, path: path, store: store) {
            key.append(i)
        }
        return self.routeRules(blockIndices: key)
    }

    func routeRules(blockIndices key: [Int]) -> RouteRules {
        if key.isEmpty { return self.noRules }
        if let cached = self.cache.storage.withLockedValue({ $0[key] }) { return cached }
        let blocks = key.map { self.blocks[$0] }
        var compiled: RouteRules
        do {
            compiled = try RouteRules(blocks: blocks)
        } catch {
            var stripped = blocks
            for i in stripped.indices { stripped[i].pathRules = [] }
            compiled = (try? RouteRules(blocks: stripped)) ?? .none
        }
        compiled.identityKeys = self.identityKeys
        self.cache.storage.withLockedValue { cache in
            if cache.count < RouteRulesCache.capacity { cache[key] = compiled }
        }
        return compiled
    }
}

/// Compiled rules per combination of applicable blocks.
final class RouteRulesCache: Sendable {
    /// Bound on cached combinations; beyond it, combinations are compiled per call (still correct, slower).
    static let capacity = 1024
    let storage = NIOLockedValueBox<[[Int]: RouteRules]>([:])
}
