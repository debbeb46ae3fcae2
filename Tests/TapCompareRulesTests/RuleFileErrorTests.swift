import Foundation
import TapCompareRules
import TapCompareTestSupport
import Testing

@Suite("rule files with mistakes")
struct RuleFileErrorTests {
    func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try RuleSetLoader.load(sources: [(name: "diff-rules/bad.yml", text: yaml)])
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test("an unknown key names file, line, column and the likely fix")
    func unknownKey() {
        let messages = self.diagnostics("""
            rules:
              - route: "*"
                ignor: [$.a]
            """)
        #expect(messages == [
            "diff-rules/bad.yml:3:5: unknown key 'ignor' in a rule block; expected one of: route, description, ignore, unordered, tolerance, equivalent, replace, status_equivalent, numbers, compare_headers, store (did you mean 'ignore'?)"
        ])
    }

    @Test("a path that cannot parse points into the path")
    func badPath() {
        let messages = self.diagnostics("""
            rules:
              - route: "*"
                ignore:
                  - $.replies[?(@.x)]
                  - "replies.score"
            """)
        #expect(messages == [
            "diff-rules/bad.yml:4:19: invalid JSONPath '$.replies[?(@.x)]' at character 10: filter expressions are not supported; use [*], [n] or ['key']",
            "diff-rules/bad.yml:5:10: invalid JSONPath 'replies.score' at character 0: a path must start with '$' (e.g. '$.replies[*].score')",
        ])
    }

    @Test("every mistake is listed, not just the first")
    func many() {
        let messages = self.diagnostics("""
            rules:
              - route: GET api/v1/comments
                numbers: exact
              - ignore: [$.a]
              - route: "*"
                tolerance:
                  - {path: $.score}
                equivalent:
                  - {path: $.t, as: timestamps}
                replace:
                  - {path: $.b, pattern: '(', with: ''}
                status_equivalent: [404, 999]
                unordered:
                  - {path: $.r, kee: id}
            """)
        #expect(messages.count == 8)
        #expect(messages[0] == "diff-rules/bad.yml:2:12: invalid route template 'GET api/v1/comments': the path must start with '/'")
        #expect(messages[1].hasPrefix("diff-rules/bad.yml:3:14: 'numbers' must be 'lexical'"))
        #expect(messages[2].hasPrefix("diff-rules/bad.yml:4:5: a rule block needs 'route:'"))
        #expect(messages[3] == "diff-rules/bad.yml:7:9: a tolerance entry needs 'absolute:' or 'relative:' (or both)")
        #expect(messages[4] == "diff-rules/bad.yml:9:25: unknown equivalence 'timestamps'; expected one of: timestamp, case_insensitive (did you mean 'timestamp'?)")
        #expect(messages[5].hasPrefix("diff-rules/bad.yml:11:30: invalid regular expression '(' (ICU syntax"))
        #expect(messages[6] == "diff-rules/bad.yml:12:30: '999' is not an HTTP status code (100-599)")
        #expect(messages[7] == "diff-rules/bad.yml:14:21: unknown key 'kee' in an unordered entry; expected path, key (did you mean 'key'?)")
    }

    @Test("YAML syntax errors carry the parser's position")
    func syntax() {
        let messages = self.diagnostics("rules:\n  - route: \"*\n")
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("diff-rules/bad.yml:") == true)
        #expect(messages.first?.contains("YAML syntax error") == true)
    }

    @Test("a missing directory is an error that says what to pass")
    func missingDirectory() {
        #expect(throws: RuleSetError.self) { try RuleSetLoader.load(directory: "/nonexistent/diff-rules") }
    }

    @Test("the shipped example diff-rules/ is valid")
    func shippedExample() throws {
        let set = try RuleSetLoader.load(directory: TestPaths.repositoryRoot.appendingPathComponent("diff-rules").path)
        #expect(set.rules.count >= 10)
    }

    @Test("identity_keys set in two rule files is refused with both files named")
    func identityKeysTwice() {
        #expect {
            _ = try RuleSetLoader.load(sources: [(name: "a.yml", text: "identity_keys: [id]\n"), (name: "b.yml", text: "identity_keys: [sku]\n")])
        } throws: { error in
            "\(error)".contains("b.yml") && "\(error)".contains("already set in a.yml")
        }
    }

    @Test("'route: []' is refused: read as no routes it would apply to every route")
    func emptyRouteList() {
        let messages = self.diagnostics("""
            rules:
              - route: []
                ignore: [$.a]
            """)
        #expect(messages == [#"diff-rules/bad.yml:2:12: 'route: []' names no route; list the templates it applies to, or write "*" for every route"#])
    }

    @Test("an unquoted [0-9] or [REDACTED] is a YAML list, refused where a string is expected")
    func listWhereAStringIsExpected() {
        let messages = self.diagnostics("""
            rules:
              - route: "*"
                replace:
                  - {path: $.a, pattern: [0-9], with: x}
                  - {path: $.b, pattern: 'token=\\w+', with: [REDACTED]}
                  - {path: $.c, pattern: {a: b}, with: ''}
            """)
        #expect(messages == [
            "diff-rules/bad.yml:4:30: 'pattern' expected a string (a regular expression), got a list; quote it: pattern: '[0-9]'",
            "diff-rules/bad.yml:5:49: 'with' expected a string (the replacement text), got a list; quote it: with: '[REDACTED]'",
            "diff-rules/bad.yml:6:30: 'pattern' expected a string (a regular expression), got a mapping; write it in quotes",
        ])
    }

    @Test("a route with a query is refused: routes match the request's path only")
    func routeWithAQuery() {
        let messages = self.diagnostics("""
            rules:
              - route: ["GET /api/v1/comments?sort=new"]
                ignore: [$.a]
            """)
        #expect(messages == [
            "diff-rules/bad.yml:2:13: invalid route template 'GET /api/v1/comments?sort=new': '?sort=new' is a query: routes match the request's path only, so this route would never match; write 'GET /api/v1/comments' (it covers every query)"
        ])
    }
}
