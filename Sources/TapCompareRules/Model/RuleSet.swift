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
    private let cache: RouteRulesCache

    /// A set with no rules: every difference is reported, numbers compared by value, `content-type` compared.
    public static let empty = RuleSet(rules: [], blocks: [], files: [])

    init(rules: [Rule], blocks: [RuleBlock], files: [String]) {
        self.rules = rules
        self.blocks = blocks
        self.files = files
        self.cache = RouteRulesCache()
    }

    /// The compiled rules for one exchange.
    ///
    /// The blocks were checked at load time for every route they name, so compilation cannot fail for them;
    /// should a combination of blocks exceed the matcher's limit anyway, its path rules are dropped and the
    /// rest still applies (so nothing is hidden: fewer rules means more discrepancies, never fewer).
    public func routeRules(route: String, method: String, path: Substring, store: String? = nil) -> RouteRules {
        if self.blocks.isEmpty { return .none }
        var key: [Int] = []
        for (i, block) in self.blocks.enumerated() where block.applies(route: route, method: method, path: path, store: store) {
            key.append(i)
        }
        return self.routeRules(blockIndices: key)
    }

    func routeRules(blockIndices key: [Int]) -> RouteRules {
        if key.isEmpty { return .none }
        if let cached = self.cache.storage.withLockedValue({ $0[key] }) { return cached }
        let blocks = key.map { self.blocks[$0] }
        let compiled: RouteRules
        do {
            compiled = try RouteRules(blocks: blocks)
        } catch {
            var stripped = blocks
            for i in stripped.indices { stripped[i].pathRules = [] }
            compiled = (try? RouteRules(blocks: stripped)) ?? .none
        }
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
