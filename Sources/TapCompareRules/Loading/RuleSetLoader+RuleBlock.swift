import Foundation
import TapCompareCore
import TapCompareJSON
import Yams

/// Reading one rule block: its routes, then each key by a step of its own (``RuleSetLoader/Builder/readBlock(_:)``
/// dispatches). Every mistake is collected with its position; nothing stops at the first.
extension RuleSetLoader.Builder {
    /// The routes a block applies to (`[]` for every route) and its scope in rule names (`*` or the templates);
    /// `nil` when the block has neither `route:` nor `store:`.
    mutating func readRoutes(_ mapping: Node.Mapping, of node: Node) -> (routes: [RouteTemplate], sources: [RuleSource], scope: String)? {
        // A store block (`store: NAME`) applies to every write route checking that store unless it names routes.
        let storeNode = mapping["store"]
        guard let routeNode = mapping["route"] ?? storeNode.map({ _ in Node("*") }) else {
            self.fail(node, "a rule block needs 'route:' (a template like 'GET /api/v1/comments/{id}', a list of them, or \"*\") or 'store:' (a store's name from the configuration's stores:)")
            return nil
        }
        var routes: [RouteTemplate] = []
        var sources: [RuleSource] = []
        var routeNodes: [Node] = []
        switch routeNode {
        case .scalar: routeNodes = [routeNode]
        case .sequence(let s):
            // `[]` would read as no routes, which a block takes to mean every route: the opposite of what it says.
            if s.isEmpty { self.fail(routeNode, "'route: []' names no route; list the templates it applies to, or write \"*\" for every route") }
            routeNodes = Array(s)
        default: self.fail(routeNode, "'route' must be a template string or a list of them")
        }
        var wildcard = false
        for r in routeNodes {
            guard let text = r.string else {
                self.fail(r, "a route must be a string like 'GET /api/v1/comments/{id}'")
                continue
            }
            if text == "*" {
                wildcard = true
                continue
            }
            do {
                routes.append(try RouteTemplate(parsing: text))
                sources.append(self.source(r))
            } catch {
                self.fail(r, "\(error)")
            }
        }
        if wildcard {
            routes = []
            sources = []
        }
        let scope = wildcard || routeNodes.isEmpty ? "*" : routes.map(\.name).joined(separator: ", ")
        return (routes, sources, scope)
    }

    /// `store: NAME` (or a list): the stores whose reads this block compares.
    mutating func readStores(_ value: Node, into block: inout RuleBlock) {
        let names = value.sequence.map { Array($0) } ?? [value]
        for name in names {
            guard let text = name.string, !text.isEmpty else {
                self.fail(name, "'store' must be a store's name (or a list of them) from the configuration's stores:")
                continue
            }
            block.stores.append(text)
            block.storeSources.append(self.source(name))
        }
    }

    /// `ignore:` paths left out of the comparison.
    mutating func readIgnore(_ value: Node, scope: String, into block: inout RuleBlock) {
        for item in self.list(value, "ignore") {
            guard let path = self.path(item) else { continue }
            let id = self.addRule(.ignore, "\(scope) ignore \(path.text)", item)
            block.pathRules.append(PathRule(path: path, action: .ignore, rule: id))
        }
    }

    /// `unordered:` arrays compared as multisets, or matched by a key member.
    mutating func readUnordered(_ value: Node, scope: String, into block: inout RuleBlock) {
        for item in self.list(value, "unordered") {
            var keyName: String?
            let pathNode: Node?
            if case .mapping(let m) = item {
                self.checkKeys(m, allowed: ["path", "key"], in: "an unordered entry")
                pathNode = self.required(m, "path", item, "an unordered entry")
                if let k = m["key"] {
                    if let s = k.string, !s.isEmpty { keyName = s } else { self.fail(k, "'key' must be a member name such as 'id'") }
                }
            } else {
                pathNode = item
            }
            guard let pathNode, let path = self.path(pathNode) else { continue }
            let name = "\(scope) unordered \(path.text)" + (keyName.map { " by \($0)" } ?? "")
            let id = self.addRule(.unordered, name, item)
            block.pathRules.append(PathRule(path: path, action: .unordered(key: keyName), rule: id))
        }
    }

    /// `tolerance:` numbers that may differ by an absolute or relative amount.
    mutating func readTolerance(_ value: Node, scope: String, into block: inout RuleBlock) {
        for item in self.list(value, "tolerance") {
            guard case .mapping(let m) = item else {
                self.fail(item, "a tolerance entry is a mapping: '{path: $.score, absolute: 0.5}' or '{path: $.ratio, relative: 0.01}'")
                continue
            }
            self.checkKeys(m, allowed: ["path", "absolute", "relative"], in: "a tolerance entry")
            let absolute = self.nonNegativeNumber(m["absolute"], "absolute")
            let relative = self.nonNegativeNumber(m["relative"], "relative")
            if m["absolute"] == nil && m["relative"] == nil {
                self.fail(item, "a tolerance entry needs 'absolute:' or 'relative:' (or both)")
            }
            guard let pathNode = self.required(m, "path", item, "a tolerance entry"), let path = self.path(pathNode) else { continue }
            var detail = ""
            if let absolute { detail += " absolute \(absolute)" }
            if let relative { detail += " relative \(relative)" }
            let id = self.addRule(.tolerance, "\(scope) tolerance \(path.text)\(detail)", item)
            block.pathRules.append(PathRule(path: path, action: .tolerance(absolute: absolute, relative: relative), rule: id))
        }
    }

    /// `equivalent:` values compared as the same instant or case-insensitively.
    mutating func readEquivalent(_ value: Node, scope: String, into block: inout RuleBlock) {
        for item in self.list(value, "equivalent") {
            guard case .mapping(let m) = item else {
                self.fail(item, "an equivalent entry is a mapping: '{path: $.created_at, as: timestamp}'")
                continue
            }
            self.checkKeys(m, allowed: ["path", "as"], in: "an equivalent entry")
            var equivalence: Equivalence?
            if let asNode = self.required(m, "as", item, "an equivalent entry") {
                let names = Equivalence.allCases.map(\.rawValue)
                if let s = asNode.string, let e = Equivalence(rawValue: s) {
                    equivalence = e
                } else {
                    self.fail(asNode, "unknown equivalence '\(asNode.string ?? "?")'; expected one of: \(names.joined(separator: ", "))\(Self.suggestion(asNode.string, names))")
                }
            }
            guard let pathNode = self.required(m, "path", item, "an equivalent entry"), let path = self.path(pathNode),
                let equivalence
            else { continue }
            let id = self.addRule(.equivalent, "\(scope) equivalent \(path.text) as \(equivalence.rawValue)", item)
            block.pathRules.append(PathRule(path: path, action: .equivalent(equivalence), rule: id))
        }
    }

    /// `replace:` regular-expression rewrites of strings on both sides before comparing.
    mutating func readReplace(_ value: Node, scope: String, into block: inout RuleBlock) {
        for item in self.list(value, "replace") {
            guard case .mapping(let m) = item else {
                self.fail(item, "a replace entry is a mapping: '{path: $.body, pattern: \"\\\\s+$\", with: \"\"}'")
                continue
            }
            self.checkKeys(m, allowed: ["path", "pattern", "with"], in: "a replace entry")
            var replacement: RegexReplacement?
            if let patternNode = self.required(m, "pattern", item, "a replace entry") {
                let pattern = self.text(patternNode, "pattern", "a regular expression")
                var template: String? = ""
                if let withNode = m["with"] {
                    template = self.text(withNode, "with", "the replacement text")
                } else {
                    self.fail(item, "a replace entry needs 'with:' (the replacement text, \"\" to delete)")
                }
                if let template, let pattern {
                    do {
                        replacement = try RegexReplacement(pattern: pattern, template: template)
                    } catch {
                        self.fail(patternNode, "invalid regular expression '\(pattern)' (ICU syntax: check brackets, parentheses and escapes; in YAML prefer single quotes)")
                    }
                }
            }
            guard let pathNode = self.required(m, "path", item, "a replace entry"), let path = self.path(pathNode),
                let replacement
            else { continue }
            let id = self.addRule(.replace, "\(scope) replace \(path.text) /\(replacement.pattern)/", item)
            block.pathRules.append(PathRule(path: path, action: .replace(replacement), rule: id))
        }
    }

    /// A value that must be a string, e.g. `pattern:`; `nil` (the mistake collected) for a list or a mapping.
    /// Unquoted, `[0-9]` or `[REDACTED]` is a YAML list: read as text it would become "", a rule that does nothing.
    mutating func text(_ node: Node, _ key: String, _ what: String) -> String? {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .sequence(let items):
            let written = "[" + items.map { $0.string ?? "…" }.joined(separator: ", ") + "]"
            self.fail(node, "'\(key)' expected a string (\(what)), got a list; quote it: \(key): '\(written)'")
        case .mapping, .alias:
            self.fail(node, "'\(key)' expected a string (\(what)), got \(node.mapping != nil ? "a mapping" : "an alias"); write it in quotes")
        }
        return nil
    }

    /// `status_equivalent:` groups of status codes treated as one.
    mutating func readStatusEquivalent(_ value: Node, scope: String, into block: inout RuleBlock) {
        guard case .sequence(let seq) = value, !seq.isEmpty else {
            self.fail(value, "'status_equivalent' is a list of codes ([404, 410]) or a list of such lists")
            return
        }
        let groups: [Node]
        if case .sequence = seq[0] { groups = Array(seq) } else { groups = [value] }
        for group in groups {
            guard case .sequence(let codesNode) = group else {
                self.fail(group, "each status group is a list of codes like [404, 410]")
                continue
            }
            var codes = Set<Int>()
            var bad = false
            for c in codesNode {
                guard let code = c.int, (100...599).contains(code) else {
                    self.fail(c, "'\(c.string ?? "?")' is not an HTTP status code (100-599)")
                    bad = true
                    continue
                }
                codes.insert(code)
            }
            if bad { continue }
            guard codes.count >= 2 else {
                self.fail(group, "a status group needs at least two different codes, e.g. [404, 410]")
                continue
            }
            let id = self.addRule(.statusEquivalent, "\(scope) status_equivalent \(codes.sorted().map(String.init).joined(separator: "="))", group)
            block.statusGroups.append((codes, id))
        }
    }

    /// `numbers: lexical | semantic`.
    mutating func readNumbers(_ value: Node, scope: String, into block: inout RuleBlock) {
        switch value.string {
        case "lexical":
            let id = self.addRule(.numbers, "\(scope) numbers lexical", value)
            block.numbers = (true, id)
        case "semantic":
            block.numbers = (false, nil)
        default:
            self.fail(value, "'numbers' must be 'lexical' (a changed spelling such as 1.0 vs 1 is a difference) or 'semantic' (compare by value, the default)")
        }
    }

    /// `compare_headers:` the header names compared, case-insensitively.
    mutating func readCompareHeaders(_ value: Node, into block: inout RuleBlock) {
        var names: [String] = []
        for item in self.list(value, "compare_headers") {
            guard let s = item.string, HTTPToken.isValid(s) else {
                self.fail(item, "'\(item.string ?? "?")' is not a header name")
                continue
            }
            names.append(s.lowercased())
        }
        block.compareHeaders = names
    }
}
