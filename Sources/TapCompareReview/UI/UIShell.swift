import Foundation

/// The `/ui` page (`Assets/ui-shell.html`): a static shell (header, filter bar, an empty view) that ``UIScript``
/// fills from `/api/v1`.
///
/// It holds no ledger data, so the admin listener serves it without the token: the script then asks for the
/// token when the API answers 401. No inline script or style, nothing from another origin (no CDN, no web
/// font), so the strict `Content-Security-Policy` of ``UIAssets`` holds. The time windows offered are the
/// `<option>`s of its `#since` list, written once there.
enum UIShell {
    static let placeholder = "{{default-since}}"

    /// - Parameter defaultSince: The window the UI opens on when the link names none (`24h`); escaped into the
    ///   page's `tapcompare-default-since` meta tag.
    static func html(defaultSince: String) -> String {
        String(decoding: PackageResources.ui_shell_html, as: UTF8.self).replacingOccurrences(of: placeholder, with: esc(defaultSince))
    }
}
