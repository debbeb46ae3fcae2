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
        // Empty segments (doubled or trailing slashes) name nothing; the path may hold any UTF-8.
        #expect(RouteNamer.derive(method: "GET", path: "//v2///users/42/") == "GET /v2/users/{id}")
        #expect(RouteNamer.derive(method: "GET", path: "") == "GET /")
        #expect(RouteNamer.derive(method: "GET", path: "///") == "GET /")
        #expect(RouteNamer.derive(method: "GET", path: "/café/7/naïve") == "GET /café/{id}/naïve")
    }

    /// RFC 3986 §6.2.2.2: escapes of unreserved characters name the same resource, so they get the same route
    /// (and policy); escapes of anything else stay, so `%2F` never splits a segment.
    @Test func routesMatchWithUnreservedEscapesDecoded() throws {
        #expect(RoutingPath.normalized("/api/intern%61l/x") == "/api/internal/x")
        #expect(RoutingPath.normalized("/%41%7a%30%2D%2e%5F%7E") == "/Az0-._~")
        #expect(RoutingPath.normalized("/a%2Fb/%25/%20/%zz/%6") == "/a%2Fb/%25/%20/%zz/%6")
        #expect(RoutingPath.normalized("/a%2561") == "/a%2561")  // one level only: `%25` is not unreserved
        let table = RouteTable(entries: [
            .init(template: try RouteTemplate(parsing: "GET /api/internal/{name}"), value: false),
        ], fallback: true)
        let match = table.match(method: "GET", path: "/api/intern%61l/secret%74hing")
        #expect(match.name == "GET /api/internal/{name}")
        #expect(match.value == false)
        #expect(match.parameters["name"] == "secretthing")
        #expect(table.match(method: "GET", path: "/api/internal%2Fx/y").value == true)
        #expect(table.match(method: "GET", path: "/users/%38812").name == "GET /users/{id}")
    }
}
