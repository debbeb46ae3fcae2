import TapCompareJSON

/// Everything that applies to one route, compiled for the comparison's walk.
public struct RouteRules: Sendable {
    /// Matches every path rule at once; path index `i` is ``pathRules``[i].
    public let matcher: JSONPathMatcher
    public let pathRules: [PathRule]
    /// Groups of equivalent status codes with the rule that counts each.
    public let statusGroups: [(codes: Set<Int>, rule: Int)]
    /// The rule that asks for lexical numbers, or `nil` for semantic (by value) numbers.
    public let lexicalNumbersRule: Int?
    /// Lower-cased names of the headers to compare. Default `["content-type"]`.
    public let compareHeaders: [String]
    /// Member names that identify the object elements of an array, tried in order: arrays whose elements all
    /// carry one (unique on each side) are aligned by it rather than by position. Default
    /// ``RuleSet/defaultIdentityKeys``; a rule file's top-level `identity_keys:` replaces it (`[]`: never).
    public internal(set) var identityKeys: [String] = RuleSet.defaultIdentityKeys

    /// No rules: numbers by value, `content-type` compared.
    public static let none = RouteRules()

    init() {
        self.matcher = try! JSONPathMatcher(paths: [])  // no paths cannot exceed the state limit
        self.pathRules = []
        self.statusGroups = []
        self.lexicalNumbersRule = nil
        self.compareHeaders = ["content-type"]
    }

    /// Combines blocks in order; a route-specific block's `numbers` and `compare_headers` override a `*` block's.
    /// - Throws: ``JSONPathMatcherError`` when the blocks' paths are too many to match at once.
    init(blocks: [RuleBlock]) throws(JSONPathMatcherError) {
        var pathRules: [PathRule] = []
        var statusGroups: [(codes: Set<Int>, rule: Int)] = []
        var numbers: (wildcard: (lexical: Bool, rule: Int?)?, specific: (lexical: Bool, rule: Int?)?) = (nil, nil)
        var headers: (wildcard: [String]?, specific: [String]?) = (nil, nil)
        for block in blocks {
            pathRules += block.pathRules
            statusGroups += block.statusGroups
            if let n = block.numbers {
                if block.isWildcard { numbers.wildcard = n } else { numbers.specific = n }
            }
            if let h = block.compareHeaders {
                if block.isWildcard { headers.wildcard = h } else { headers.specific = h }
            }
        }
        // Ignore rules first: when several rules select one value, ignoring wins.
        pathRules.sort { a, b in
            if case .ignore = a.action, !(b.action.isIgnore) { return true }
            return false
        }
        self.matcher = try JSONPathMatcher(paths: pathRules.map(\.path))
        self.pathRules = pathRules
        self.statusGroups = statusGroups
        let effectiveNumbers = numbers.specific ?? numbers.wildcard
        self.lexicalNumbersRule = effectiveNumbers?.lexical == true ? effectiveNumbers?.rule : nil
        self.compareHeaders = headers.specific ?? headers.wildcard ?? ["content-type"]
    }
}

extension PathAction {
    var isIgnore: Bool {
        if case .ignore = self { return true }
        return false
    }
}
