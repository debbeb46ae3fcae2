import HTTPTypes
import Hummingbird
import NIOCore

/// The UI's three static files, built once per ``ReviewRoutes`` and served from memory: the shell (`/ui`), its
/// script (`/ui/app.js`) and its stylesheet (`/ui/app.css`).
///
/// Every answer carries a strict `Content-Security-Policy`: script, style and API calls from this origin only, and
/// no inline script. Response bodies shown in the UI are recorded traffic; should an escaping mistake ever let
/// markup through, the browser still refuses to run it.
struct UIAssets: Sendable {
    static let shellPath = "/ui"
    static let scriptPath = "/ui/app.js"
    static let stylesheetPath = "/ui/app.css"

    /// The paths that hold no ledger data, which the admin listener may serve without its token (`/ui/` is the
    /// same route as `/ui` to the router, but a different path to the token check).
    static let publicPaths: Set<String> = [shellPath, shellPath + "/", scriptPath, stylesheetPath]

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    let shell: ByteBuffer
    let script: ByteBuffer
    let stylesheet: ByteBuffer

    init(defaultSince: String) {
        self.shell = ByteBuffer(string: UIShell.html(defaultSince: defaultSince))
        self.script = ByteBuffer(string: UIScript.source)
        self.stylesheet = ByteBuffer(string: Stylesheet.css + "\n" + Stylesheet.ui)
    }

    func response(_ body: ByteBuffer, contentType: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: body))
        response.headers[.contentType] = contentType
        // Revalidated on every load, so a new binary's UI is never mixed with an old cached script.
        response.headers[.cacheControl] = "no-cache"
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }

    func install<Context: RequestContext>(on router: Router<Context>) {
        let assets = self
        router.get(RouterPath(Self.shellPath)) { _, _ in assets.response(assets.shell, contentType: "text/html; charset=utf-8") }
        router.get(RouterPath(Self.scriptPath)) { _, _ in assets.response(assets.script, contentType: "text/javascript; charset=utf-8") }
        router.get(RouterPath(Self.stylesheetPath)) { _, _ in assets.response(assets.stylesheet, contentType: "text/css; charset=utf-8") }
    }
}
