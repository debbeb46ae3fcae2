import TapCompareCore
import TapCompareJSON

/// One entry of a rule file's `rules:` list: a route scope and the rules that apply within it.
public struct RuleBlock: Sendable {
    /// Templates this block applies to; empty means every route (`route: "*"`).
    public var routes: [RouteTemplate]
    public var pathRules: [PathRule]
    /// Groups of status codes treated as one, each with its counting rule.
    public var statusGroups: [(codes: Set<Int>, rule: Int)]
    /// `numbers: lexical` (with its counting rule) or `numbers: semantic` (`nil` rule); `nil` when unset.
    public var numbers: (lexical: Bool, rule: Int?)?
    /// Lower-cased header names, `nil` when unset.
    public var compareHeaders: [String]?
    /// Where the block starts, for messages.
    public var location: String
    /// `store:`: the stores whose checks this block normalizes. A block with stores applies only to store
    /// comparisons of those stores (on its routes, every write route when `route:` is absent); a block without
    /// applies only to HTTP answers.
    public var stores: [String] = []
    /// Where each of ``routes`` is written, in the same order: checked against the configuration (a gRPC method
    /// the descriptor set holds) once the rules are loaded.
    public var routeSources: [RuleSource] = []
    /// Where each of ``stores`` is written, in the same order: each must be declared under the configuration's
    /// `stores:`, or the block would never apply.
    public var storeSources: [RuleSource] = []

    /// Whether the block applies to every route.
    public var isWildcard: Bool { self.routes.isEmpty }

    /// Whether the block applies to an exchange named `route` for `method` and `path`, or with `store`, to the
    /// check of that store after a write on that route.
    ///
    /// A template applies when its canonical name is the exchange's route name, or when it matches the request
    /// itself (so a block still applies when the proxy's route table names the route differently).
    public func applies(route: String, method: String, path: Substring, store: String? = nil) -> Bool {
        if let store {
            guard self.stores.contains(store) else { return false }
        } else if !self.stores.isEmpty {
            return false
        }
        if self.routes.isEmpty { return true }
        for template in self.routes {
            if template.name == route || template.match(method: method, path: path) != nil { return true }
        }
        return false
    }
}
