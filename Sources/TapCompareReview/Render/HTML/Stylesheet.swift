/// The one stylesheet of the HTML report and the web UI (`Assets/report.css`), inlined into every report page (no
/// external asset, no web font: the system's UI font), and what only the live UI adds on top (`Assets/ui.css`: the
/// token form, the loading state, selected rows), served in `/ui/app.css` after it. Real CSS files, compiled into
/// the binary by SwiftPM (`.embedInCode`).
enum Stylesheet {
    static let css = String(decoding: PackageResources.report_css, as: UTF8.self)
    static let ui = String(decoding: PackageResources.ui_css, as: UTF8.self)
}
