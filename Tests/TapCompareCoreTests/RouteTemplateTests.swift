import Testing
import TapCompareCore

@Suite struct RouteTemplateTests {
    @Test func parsesAndMatchesParameters() throws {
        let t = try RouteTemplate(parsing: "GET /api/v1/comments/{id}")
        #expect(t.name == "GET /api/v1/comments/{id}")
        #expect(t.match(method: "GET", path: "/api/v1/comments/42")?["id"] == "42")
        #expect(t.match(method: "POST", path: "/api/v1/comments/42") == nil)
        #expect(t.match(method: "GET", path: "/api/v1/comments/42/replies") == nil)
        #expect(t.match(method: "GET", path: "/api/v1/comments") == nil)
    }

    @Test func rejectsMalformedTemplates() {
        #expect(throws: RouteTemplateError.self) { try RouteTemplate(parsing: "GET api/v1") }
        #expect(throws: RouteTemplateError.self) { try RouteTemplate(parsing: "GET /a/{id") }
        #expect(throws: RouteTemplateError.self) { try RouteTemplate(parsing: "GET /a/x{id}") }
        #expect(throws: RouteTemplateError.self) { try RouteTemplate(parsing: "G-T /a") }
    }

    @Test func tablePrefersLiteralSegmentsAndNamesAnyMethodRoutes() throws {
        let table = RouteTable(entries: [
            .init(template: try RouteTemplate(parsing: "GET /api/v1/comments/{id}"), value: 1),
            .init(template: try RouteTemplate(parsing: "GET /api/v1/comments/popular"), value: 2),
            .init(template: try RouteTemplate(parsing: "/health"), value: 3),
        ], fallback: 0)
        #expect(table.match(method: "GET", path: "/api/v1/comments/popular").value == 2)
        #expect(table.match(method: "GET", path: "/api/v1/comments/7").value == 1)
        #expect(table.match(method: "HEAD", path: "/health").name == "HEAD /health")
        let derived = table.match(method: "DELETE", path: "/api/v1/comments/7")
        #expect(derived.value == 0)
        #expect(derived.name == "DELETE /api/v1/comments/{id}")
    }

    @Test func derivedNamesCollapseIdentifiers() {
        #expect(RouteNamer.derive(method: "GET", path: "/api/v1/comments/8812/replies") == "GET /api/v1/comments/{id}/replies")
        #expect(RouteNamer.derive(method: "GET", path: "/u/3f2504e0-4f89-11d3-9a0c-0305e82c3301") == "GET /u/{id}")
        #expect(RouteNamer.derive(method: "GET", path: "/blob/deadbeefdeadbeef00") == "GET /blob/{id}")
        #expect(RouteNamer.derive(method: "GET", path: "/blob/deadbeef") == "GET /blob/deadbeef")
        #expect(RouteNamer.derive(method: "GET", path: "/") == "GET /")
        #expect(RouteNamer.derive(method: "GET", path: "/v2/users") == "GET /v2/users")
    }
}
