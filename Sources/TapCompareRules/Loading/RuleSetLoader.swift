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

        /// Where `node` is written in the file being read.
        func source(_ node: Node) -> RuleSource {
            RuleSource(file: self.file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        }

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

        /// One block of `rules:`: its routes, then each key by its own step (`RuleSetLoader+RuleBlock.swift`).
        mutating func readBlock(_ node: Node) {
            guard case .mapping(let mapping) = node else {
                self.fail(node, "a rule block must be a mapping like '- route: \"GET /api/v1/comments/{id}\"'")
                return
            }
            let location = "\((self.file as NSString).lastPathComponent):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1)"
            guard let target = self.readRoutes(mapping, of: node) else { return }
            let (routes, sources, scope) = target
            var block = RuleBlock(routes: routes, pathRules: [], statusGroups: [], numbers: nil, compareHeaders: nil, location: location)
            block.routeSources = sources
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                switch key {
                case "route", "description": continue
                case "store": self.readStores(value, into: &block)
                case "ignore": self.readIgnore(value, scope: scope, into: &block)
                case "unordered": self.readUnordered(value, scope: scope, into: &block)
                case "tolerance": self.readTolerance(value, scope: scope, into: &block)
                case "equivalent": self.readEquivalent(value, scope: scope, into: &block)
                case "replace": self.readReplace(value, scope: scope, into: &block)
                case "status_equivalent": self.readStatusEquivalent(value, scope: scope, into: &block)
                case "numbers": self.readNumbers(value, scope: scope, into: &block)
                case "compare_headers": self.readCompareHeaders(value, into: &block)
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
