import Testing
import TapCompareCore
@testable import TapCompareApp

/// `routes:` entries a user could write that would not do what they say: refused with the file, line, key and fix.
@Suite struct RouteConfigurationTests {
    func issues(_ yaml: String, file: String = "tap.yml") -> String {
        do {
            _ = try ConfigurationLoader.load(yaml: yaml, file: file)
            return ""
        } catch {
            return error.description
        }
    }

    @Test("a route written twice is refused: the route table would take the first, verify and store checks the last")
    func aRouteWrittenTwiceIsRefused() {
        let text = self.issues("""
            routes:
              - route: POST /api/v1/comments
                mirror_writes: true
              - route: POST /api/v1/comments
                mirror: false
            """)
        #expect(text == "tap.yml:4:12: routes[1].route: 'POST /api/v1/comments' is the same route as routes[0] ('POST /api/v1/comments'); merge the two entries into one", "\(text)")
    }

    @Test("parameter names do not make two routes: GET /x/{id} and GET /x/{name} are one, counted by the file's indexes")
    func parameterNamesDoNotMakeTwoRoutes() {
        let text = self.issues("""
            routes:
              - route: GET api/v1/x
              - route: GET /api/v1/x/{id}
              - route: GET /api/v1/x/popular
              - route: GET /api/v1/x/{name}
                sample_rate: 0.5
            """)
        #expect(text.contains("tap.yml:5:12: routes[3].route: 'GET /api/v1/x/{name}' is the same route as routes[1] ('GET /api/v1/x/{id}'); merge the two entries into one"), "\(text)")
        #expect(!text.contains("routes[2]"), "a literal segment is another route: \(text)")
        #expect(!text.contains("unknown key"), "the refused entry's keys are still read: \(text)")
    }

    @Test("a query in a route is refused: routes match the path only, so the route would never match")
    func aQueryInARouteIsRefused() {
        let text = self.issues("""
            routes:
              - route: GET /api/v1/internal?debug=1
                mirror: false
              - route: "/health#top"
            """)
        #expect(text.contains("tap.yml:2:5: routes[0].route: invalid route template 'GET /api/v1/internal?debug=1': '?debug=1' is a query: routes match the request's path only, so this route would never match; write 'GET /api/v1/internal' (it covers every query)"), "\(text)")
        #expect(text.contains("tap.yml:4:5: routes[1].route: invalid route template '/health#top': '#top' is a fragment: routes match the request's path only, so this route would never match; write '/health' (it covers every query)"), "\(text)")
    }

    @Test("a query in verify.read or a cutover.routes key is refused the same way")
    func aQueryElsewhereIsRefused() {
        let text = self.issues("""
            routes:
              - route: POST /api/v1/comments
                mirror_writes: true
                verify: { read: "GET /api/v1/comments/latest?full=1" }
            cutover:
              routes:
                "POST /api/v1/comments?x=1": { min_comparisons: 10 }
            """)
        #expect(text.contains("routes[0].verify.read: invalid route template 'GET /api/v1/comments/latest?full=1': '?full=1' is a query"), "\(text)")
        #expect(text.contains(#"cutover.routes["POST /api/v1/comments?x=1"]: invalid route template 'POST /api/v1/comments?x=1': '?x=1' is a query"#), "\(text)")
    }
}
