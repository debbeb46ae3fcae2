import Foundation
import TapCompareCore
import TapCompareJSON
import Yams

/// Loads and validates `diff-rules/`: every `*.yml` and `*.yaml` file of a directory, in name order.
///
/// Every mistake is collected with its file, line and column (see ``RuleDiagnostic``) so `tapcompare rules
/// check` can list them all; a set with any mistake is refused whole (``RuleSetError``), never half-applied.
/// The format is documented in `diff-rules/README.md`.
public enum RuleSetLoader {
    /// Keys a rule block may have.
    static let blockKeys = [
        "route", "description", "ignore", "unordered", "tolerance", "equivalent", "replace", "status_equivalent",
        "numbers", "compare_headers", "store",
    ]

    /// Loads every rule file in `directory`.
    /// - Throws: ``RuleSetError`` listing every mistake found.
    public static func load(directory: String) throws(RuleSetError) -> RuleSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuleSetError(diagnostics: [
                RuleDiagnostic(file: directory, line: 1, column: 1, message: "no such directory; pass the folder that holds the rule files (e.g. diff-rules/)")
            ])
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
                .sorted()
        } catch {
            throw RuleSetError(diagnostics: [RuleDiagnostic(file: directory, line: 1, column: 1, message: "cannot list the directory: \(error)")])
        }
        var sources: [(name: String, text: String)] = []
        var diagnostics: [RuleDiagnostic] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(RuleDiagnostic(file: path, line: 1, column: 1, message: "cannot read the file as UTF-8 text"))
                continue
            }
            sources.append((path, text))
        }
        do throws(RuleSetError) {
            let set = try self.load(sources: sources)
            guard diagnostics.isEmpty else { throw RuleSetError(diagnostics: diagnostics) }
            return set
        } catch {
            throw RuleSetError(diagnostics: diagnostics + error.diagnostics)
        }
    }

    /// Loads rule files given as (file name, YAML text) pairs, in the order given.
    /// - Throws: ``RuleSetError`` listing every mistake found.
    public static func load(sources: [(name: String, text: String)]) throws(RuleSetError) -> RuleSet {
        var builder = Builder()
        for source in sources { builder.read(file: source.name, text: source.text) }
        builder.checkCompilation()
        guard builder.diagnostics.isEmpty else { throw RuleSetError(diagnostics: builder.diagnostics) }
        return RuleSet(
            rules: builder.rules, blocks: builder.blocks, files: sources.map(\.name),
            identityKeys: builder.identityKeys?.keys ?? RuleSet.defaultIdentityKeys
        )
    }

    struct Builder {
        var rules: [Rule] = []
        var blocks: [RuleBlock] = []
        var diagnostics: [RuleDiagnostic] = []
        var file = ""
        var usedNames: [String: Int] = [:]
        /// The top-level `identity_keys:` and the file that set it (at most one file may).
        var identityKeys: (keys: [String], file: String)?

        mutating func fail(_ node: Node?, _ message: String, columnOffset: Int = 0) {
            let mark = node?.mark
            self.diagnostics.append(
                RuleDiagnostic(file: self.file, line: mark?.line ?? 1, column: (mark?.column ?? 1) + columnOffset, message: message)
            )
        }

        mutating func read(file: String, text: String) {
            self.file = file
            let root: Node?
            do {
                root = try Yams.compose(yaml: text)
            } catch let error as YamlError {
                let (line, column, problem) = Self.locate(error)
                // Paths and templates hold YAML's flow indicators ([ ] { } *); unquoted inside [...] they break.
                let hint = "; quote paths and routes inside [...] lists, e.g. ['$.replies[*].id'] or [\"GET /api/v1/comments/{id}\"]"
                self.diagnostics.append(RuleDiagnostic(file: file, line: line, column: column, message: "YAML syntax error: \(problem)\(hint)"))
                return
            } catch {
                self.diagnostics.append(RuleDiagnostic(file: file, line: 1, column: 1, message: "YAML error: \(error)"))
                return
            }
            guard let root else { return }  // an empty file holds no rules
            guard case .mapping(let mapping) = root else {
                self.fail(root, "a rule file must be a mapping with a 'rules:' list")
                return
            }
            for (key, value) in mapping {
                if key.string == "identity_keys" {
                    self.readIdentityKeys(value)
                    continue
                }
                guard key.string == "rules" else {
                    self.fail(key, "unknown top-level key '\(key.string ?? "?")'; a rule file has only 'rules:' (and 'identity_keys:')\(Self.suggestion(key.string, ["rules", "identity_keys"]))")
                    continue
                }
                guard case .sequence(let items) = value else {
                    self.fail(value, "'rules' must be a list of rule blocks, each starting with '- route: ...'")
                    continue
                }
                for item in items { self.readBlock(item) }
            }
        }

        /// `identity_keys: [id, uuid, key]`: the member names that identify array elements, for every route.
        mutating func readIdentityKeys(_ node: Node) {
            if let earlier = self.identityKeys {
                self.fail(node, "'identity_keys' is already set in \(earlier.file); set it in one rule file only")
                return
            }
            guard case .sequence(let items) = node else {
                self.fail(node, "'identity_keys' must be a list of member names, e.g. [id, uuid, key] ([] turns identity alignment off)")
                return
            }
            var keys: [String] = []
            for item in items {
                guard let name = item.string, !name.isEmpty, case .scalar = item else {
                    self.fail(item, "'\(item.string ?? "?")' is not a member name; identity_keys lists names like id or uuid")
                    continue
                }
                if !keys.contains(name) { keys.append(name) }
            }
            self.identityKeys = (keys, self.file)
        }

        mutating func readBlock(_ node: Node) {
            guard case .mapping(let mapping) = node else {
                self.fail(node, "a rule block must be a mapping like '- route: \"GET /api/v1/comments/{id}\"'")
                return
            }
            let location = "\((self.file as NSString).lastPathComponent):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1)"
            // A store block (`store: NAME`) applies to every write route checking that store unless it names routes.
            let storeNode = mapping["store"]
            guard let routeNode = mapping["route"] ?? storeNode.map({ _ in Node("*") }) else {
                self.fail(node, "a rule block needs 'route:' (a template like 'GET /api/v1/comments/{id}', a list of them, or \"*\") or 'store:' (a store's name from the configuration's stores:)")
                return
            }
            var routes: [RouteTemplate] = []
            var routeNodes: [Node] = []
            switch routeNode {
            case .scalar: routeNodes = [routeNode]
            case .sequence(let s): routeNodes = Array(s)
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
                } catch {
                    self.fail(r, "\(error)")
                }
            }
            if wildcard { routes = [] }
            let scope = wildcard || routeNodes.isEmpty ? "*" : routes.map(\.name).joined(separator: ", ")
            var block = RuleBlock(routes: routes, pathRules: [], statusGroups: [], numbers: nil, compareHeaders: nil, location: location)

            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                switch key {
                case "route", "description":
                    continue
                case "store":
                    let names = value.sequence.map { Array($0) } ?? [value]
                    for name in names {
                        guard let text = name.string, !text.isEmpty else {
                            self.fail(name, "'store' must be a store's name (or a list of them) from the configuration's stores:")
                            continue
                        }
                        block.stores.append(text)
                    }
                case "ignore":
                    for item in self.list(value, key) {
                        guard let path = self.path(item) else { continue }
                        let id = self.addRule(.ignore, "\(scope) ignore \(path.text)", item)
                        block.pathRules.append(PathRule(path: path, action: .ignore, rule: id))
                    }
                case "unordered":
                    for item in self.list(value, key) {
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
                case "tolerance":
                    for item in self.list(value, key) {
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
                case "equivalent":
                    for item in self.list(value, key) {
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
                case "replace":
                    for item in self.list(value, key) {
                        guard case .mapping(let m) = item else {
                            self.fail(item, "a replace entry is a mapping: '{path: $.body, pattern: \"\\\\s+$\", with: \"\"}'")
                            continue
                        }
                        self.checkKeys(m, allowed: ["path", "pattern", "with"], in: "a replace entry")
                        var replacement: RegexReplacement?
                        if let patternNode = self.required(m, "pattern", item, "a replace entry") {
                            let template = m["with"]?.string ?? ""
                            if m["with"] == nil { self.fail(item, "a replace entry needs 'with:' (the replacement text, \"\" to delete)") }
                            do {
                                replacement = try RegexReplacement(pattern: patternNode.string ?? "", template: template)
                            } catch {
                                self.fail(patternNode, "invalid regular expression '\(patternNode.string ?? "")' (ICU syntax: check brackets, parentheses and escapes; in YAML prefer single quotes)")
                            }
                        }
                        guard let pathNode = self.required(m, "path", item, "a replace entry"), let path = self.path(pathNode),
                            let replacement
                        else { continue }
                        let id = self.addRule(.replace, "\(scope) replace \(path.text) /\(replacement.pattern)/", item)
                        block.pathRules.append(PathRule(path: path, action: .replace(replacement), rule: id))
                    }
                case "status_equivalent":
                    guard case .sequence(let seq) = value, !seq.isEmpty else {
                        self.fail(value, "'status_equivalent' is a list of codes ([404, 410]) or a list of such lists")
                        continue
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
                case "numbers":
                    switch value.string {
                    case "lexical":
                        let id = self.addRule(.numbers, "\(scope) numbers lexical", value)
                        block.numbers = (true, id)
                    case "semantic":
                        block.numbers = (false, nil)
                    default:
                        self.fail(value, "'numbers' must be 'lexical' (a changed spelling such as 1.0 vs 1 is a difference) or 'semantic' (compare by value, the default)")
                    }
                case "compare_headers":
                    var names: [String] = []
                    for item in self.list(value, key) {
                        guard let s = item.string, HTTPToken.isValid(s) else {
                            self.fail(item, "'\(item.string ?? "?")' is not a header name")
                            continue
                        }
                        names.append(s.lowercased())
                    }
                    block.compareHeaders = names
                default:
                    self.fail(keyNode, "unknown key '\(key)' in a rule block; expected one of: \(RuleSetLoader.blockKeys.joined(separator: ", "))\(Self.suggestion(key, RuleSetLoader.blockKeys))")
                }
            }
            self.blocks.append(block)
        }

        /// A scalar or a list of scalars as a list of nodes.
        mutating func list(_ node: Node, _ key: String) -> [Node] {
            switch node {
            case .sequence(let s): return Array(s)
            case .scalar: return [node]
            case .mapping:
                if key == "unordered" || key == "tolerance" || key == "equivalent" || key == "replace" { return [node] }
                self.fail(node, "'\(key)' must be a list")
                return []
            case .alias:
                self.fail(node, "aliases are not supported in rule files")
                return []
            }
        }

        mutating func path(_ node: Node) -> JSONPath? {
            guard case .scalar(let scalar) = node else {
                self.fail(node, "a path must be a string like '$.replies[*].score'")
                return nil
            }
            do {
                return try JSONPath(parsing: scalar.string)
            } catch {
                let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                self.fail(node, error.description, columnOffset: quoted ? error.offset + 1 : error.offset)
                return nil
            }
        }

        mutating func required(_ m: Node.Mapping, _ key: String, _ owner: Node, _ what: String) -> Node? {
            if let v = m[key] { return v }
            self.fail(owner, "\(what) needs '\(key):'")
            return nil
        }

        mutating func checkKeys(_ m: Node.Mapping, allowed: [String], in what: String) {
            for key in m.keys where !allowed.contains(key.string ?? "") {
                self.fail(key, "unknown key '\(key.string ?? "?")' in \(what); expected \(allowed.joined(separator: ", "))\(Self.suggestion(key.string, allowed))")
            }
        }

        mutating func nonNegativeNumber(_ node: Node?, _ key: String) -> Double? {
            guard let node else { return nil }
            guard let v = node.float ?? node.int.map(Double.init), v >= 0, v.isFinite else {
                self.fail(node, "'\(key)' must be a number >= 0, not '\(node.string ?? "?")'")
                return nil
            }
            return v
        }

        mutating func addRule(_ kind: Rule.Kind, _ name: String, _ node: Node) -> Int {
            var unique = name
            if let n = self.usedNames[name] {
                unique = "\(name) #\(n + 1)"
                self.usedNames[name] = n + 1
            } else {
                self.usedNames[name] = 1
            }
            let location = "\((self.file as NSString).lastPathComponent):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1)"
            self.rules.append(Rule(id: self.rules.count, name: unique, kind: kind, location: location))
            return self.rules.count - 1
        }

        /// Compiles each route's combination once so a set that could not be matched is refused at load time.
        mutating func checkCompilation() {
            guard self.diagnostics.isEmpty else { return }
            var combinations: [[Int]] = []
            let wildcards = self.blocks.indices.filter { self.blocks[$0].isWildcard }
            combinations.append(wildcards)
            for (i, block) in self.blocks.enumerated() {
                for template in block.routes {
                    let applicable = self.blocks.indices.filter { j in
                        self.blocks[j].isWildcard || self.blocks[j].routes.contains { $0.name == template.name } || j == i
                    }
                    combinations.append(applicable)
                }
            }
            for combination in combinations {
                do {
                    _ = try RouteRules(blocks: combination.map { self.blocks[$0] })
                } catch {
                    let first = combination.last.map { self.blocks[$0].location } ?? self.file
                    let parts = first.split(separator: ":")
                    self.diagnostics.append(
                        RuleDiagnostic(file: String(parts.first ?? ""), line: Int(parts.dropFirst().first ?? "1") ?? 1, column: Int(parts.last ?? "1") ?? 1, message: error.description)
                    )
                }
            }
        }

        static func locate(_ error: YamlError) -> (Int, Int, String) {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let prefix = context.map { "\($0.text) " } ?? ""
                return (mark.line, mark.column, prefix + problem)
            default:
                return (1, 1, "\(error)")
            }
        }

        /// ` (did you mean 'x'?)` when a close spelling exists.
        static func suggestion(_ word: String?, _ candidates: [String]) -> String {
            guard let word, !word.isEmpty, let best = Spelling.closest(to: word, in: candidates) else { return "" }
            return " (did you mean '\(best)'?)"
        }
    }
}
