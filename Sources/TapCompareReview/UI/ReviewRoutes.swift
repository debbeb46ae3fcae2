import Foundation
import Hummingbird
import Logging
import NIOCore

/// The review UI (`/ui`) and its JSON API (`/api/v1/…`) over a ``ReportSource``, mounted on any Hummingbird
/// router: the admin listener of `serve` (which enforces its bearer token off loopback) or `tapcompare ui`.
///
/// The pages are rendered on the server from the same source the API reads, so they work without script and
/// load in one round trip; a few lines of script add "mark as noise" (a `POST /api/v1/annotations`).
public struct ReviewRoutes: Sendable {
    public let source: any ReportSource
    /// The window a page opens on when the URL names none. Default `24h`.
    public var defaultSince: String
    let now: @Sendable () -> Date

    public init(source: any ReportSource, defaultSince: String = "24h", now: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.defaultSince = defaultSince
        self.now = now
    }

    /// For `AdminServer(routes:)`: installs the UI and the API on the admin router.
    public var installer: @Sendable (Router<BasicRequestContext>) -> Void {
        { router in self.install(on: router) }
    }

    public func install<Context: RequestContext>(on router: Router<Context>) {
        let api = ReviewAPI(source: self.source, now: self.now)
        router.get("/api/v1/report") { request, _ in await api.respond { try await api.report(request) } }
        router.get("/api/v1/overview") { request, _ in await api.respond { try await api.overview(request) } }
        router.get("/api/v1/routes") { request, _ in await api.respond { try await api.routes(request) } }
        router.get("/api/v1/routes/:route/fields") { request, context in
            await api.respond { try await api.fields(request, route: try Self.pathParameter(context, "route")) }
        }
        router.get("/api/v1/routes/:route/fields/:field/examples") { request, context in
            await api.respond {
                try await api.examples(request, route: try Self.pathParameter(context, "route"), field: try Self.pathParameter(context, "field"))
            }
        }
        router.get("/api/v1/comparisons/:id") { _, context in
            await api.respond { try await api.comparison(id: try Self.pathParameter(context, "id")) }
        }
        router.get("/api/v1/annotations") { _, _ in await api.respond { try await api.annotations() } }
        router.post("/api/v1/annotations") { request, _ in await api.respond { try await api.annotate(request) } }

        let pages = ReviewPages(source: self.source, defaultSince: self.defaultSince, now: self.now)
        router.get("/ui") { request, _ in await pages.respond { try await pages.overview(request) } }
        router.get("/ui/route") { request, _ in await pages.respond { try await pages.route(request) } }
        router.get("/ui/field") { request, _ in await pages.respond { try await pages.field(request) } }
        router.get("/ui/comparisons/:id") { _, context in
            await pages.respond { try await pages.comparison(id: try Self.pathParameter(context, "id")) }
        }
        router.get("/ui/app.js") { _, _ in
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: UIScript.source)))
            response.headers[.contentType] = "text/javascript; charset=utf-8"
            response.headers[.cacheControl] = "no-cache"
            return response
        }
    }

    /// A path segment, percent-decoded (route templates and field paths contain `/`, `{`, `[`, `*`).
    static func pathParameter<Context: RequestContext>(_ context: Context, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw ReviewError.invalidArgument("missing \(name)") }
        guard let decoded = raw.removingPercentEncoding else { throw ReviewError.invalidArgument("\(name) is not valid percent-encoding") }
        return decoded
    }
}
