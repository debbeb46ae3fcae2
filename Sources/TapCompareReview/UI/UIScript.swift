/// The review UI's script, served at `/ui/app.js`: a client of `/api/v1` that renders problems (the default
/// view), overview → route → field → comparison and the cut-over verdicts into the static shell (``UIShell``).
///
/// Why a client of the API rather than pages rendered on the server: the UI then shows exactly what the documented
/// API answers (a reviewer can reproduce any figure with `curl`), and the shell, holding no data, can be served
/// without the admin token and ask for it.
///
/// Plain modern JavaScript, no framework and no build step, in real files under `Assets/` that SwiftPM compiles
/// into the binary (`.embedInCode`), so the binary carries everything it serves. Split by concern: `ui-core.js`
/// (state in the URL's hash, the API client and its token, the view loop), `ui-formatting.js`, `ui-charts.js`,
/// `ui-json-body.js`, `ui-stores.js`, `ui-views.js`, `ui-cutover.js`, `ui-problems.js`, and `ui-start.js` (wires
/// the page up). Everything from the API is escaped before it reaches `innerHTML`: bodies and values are recorded
/// traffic, not trusted text.
enum UIScript {
    /// The parts in dependency order.
    static let parts: [[UInt8]] = [
        PackageResources.ui_core_js, PackageResources.ui_formatting_js, PackageResources.ui_charts_js,
        PackageResources.ui_json_body_js, PackageResources.ui_stores_js, PackageResources.ui_views_js,
        PackageResources.ui_cutover_js, PackageResources.ui_problems_js, PackageResources.ui_start_js,
    ]

    /// The whole script: the parts inside one strict-mode function scope, so they share names without globals.
    static let source = "\"use strict\";\n(() => {\n" + parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "})();\n"
}
