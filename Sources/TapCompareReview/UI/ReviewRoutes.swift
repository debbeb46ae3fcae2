import Foundation
import Hummingbird
import Logging
import NIOCore

/// The review UI (`/ui`) and its JSON API (`/api/v1/…`) over a ``ReportSource``, mounted on any Hummingbird
/// router: the admin listener of `serve` (which enforces its bearer token off loopback) or `tapcompare ui`.
///
/// The UI is a client of the API: `/ui` is a static shell whose script (``UIScript``) fetches `/api/v1/…` and
/// renders every view, so what a reviewer sees is what the documented API answers. The shell, script and
/// stylesheet hold no ledger data: ``publicPaths`` lists them for a token-guarded listener to serve openly, so the
/// page can load and ask for the token; every `/api/v1` call still needs it.
public struct ReviewRoutes: Sendable {
    public let source: any ReportSource
    /// The window the UI opens on when its link names none. Default `24h` (the API's own default is the whole
    /// ledger; the UI asks for a day so a busy ledger opens fast).
    public var defaultSince: String
    /// What `/api/v1/verdict` and the UI's Cut-over view judge routes against (`cutover:`). Default ``CutoverPolicy/init(maxRegressionRate:confidence:minComparisons:maxLatencyRatio:routes:)``.
    public var cutover: CutoverPolicy
    let now: @Sendable () -> Date
    /// Where failures the API answers generically are logged with their detail.
    let logger: Logger

    public init(
        source: any ReportSource, defaultSince: String = "24h", cutover: CutoverPolicy = CutoverPolicy(), logger: Logger = Logger(label: "tapcompare.review"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.defaultSince = defaultSince
        self.cutover = cutover
        self.logger = logger
        self.now = now
    }

    /// The UI's static files (`/ui`, `/ui/app.js`, `/ui/app.css`): no ledger data, safe to serve without a token.
    public static var publicPaths: Set<String> { UIAssets.publicPaths }

    /// For `AdminServer(routes:)`: installs the UI and the API on the admin router.
    public var installer: @Sendable (Router<BasicRequestContext>) -> Void {
        { router in self.install(on: router) }
    }

    public func install<Context: RequestContext>(on router: Router<Context>) {
        let api = ReviewAPI(source: self.source, cutover: self.cutover, now: self.now, logger: self.logger)
        router.get("/api/v1/report") { request, _ in await api.respond { try await api.report(request) } }
        router.get("/api/v1/overview") { request, _ in await api.respond { try await api.overview(request) } }
        router.get("/api/v1/routes") { request, _ in await api.respond { try await api.routes(request) } }
        router.get("/api/v1/stores") { request, _ in await api.respond { try await api.stores(request) } }
        router.get("/api/v1/problems") { request, _ in await api.respond { try await api.problems(request) } }
        router.get("/api/v1/verdict") { request, _ in await api.respond { try await api.verdict(request) } }
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
        router.post("/api/v1/problems/status") { request, _ in await api.respond { try await api.setProblemStatus(request) } }

        UIAssets(defaultSince: self.defaultSince).install(on: router)
    }

    /// A path segment, percent-decoded (route templates and field paths contain `/`, `{`, `[`, `*`).
    static func pathParameter<Context: RequestContext>(_ context: Context, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw ReviewError.invalidArgument("missing \(name)") }
        guard let decoded = raw.removingPercentEncoding else { throw ReviewError.invalidArgument("\(name) is not valid percent-encoding") }
        return decoded
    }
}
