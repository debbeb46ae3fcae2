/// The `/ui` page: a static shell (header, filter bar, an empty view) that ``UIScript`` fills from `/api/v1`.
///
/// It holds no ledger data, so the admin listener serves it without the token: the script then asks for the
/// token when the API answers 401. No inline script or style, nothing from another origin (no CDN, no web
/// font), so the strict `Content-Security-Policy` of ``UIAssets`` holds.
enum UIShell {
    /// - Parameter defaultSince: The window the UI opens on when the link names none (`24h`).
    static func html(defaultSince: String) -> String {
        var options = ""
        for (value, label) in [("1h", "last hour"), ("6h", "last 6 hours"), ("24h", "last 24 hours"), ("7d", "last 7 days"), ("30d", "last 30 days"), ("all", "everything")] {
            options += "<option value=\"\(value)\">\(label)</option>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="tapcompare-default-since" content="\(esc(defaultSince))">
        <title>TapCompare review</title>
        <link rel="stylesheet" href="\(UIAssets.stylesheetPath)">
        <script src="\(UIAssets.scriptPath)" defer></script>
        </head><body data-state="loading">
        <header class="top"><h1><a href="#/">TapCompare review</a></h1><nav><a href="#/" id="problems-link">Problems</a> <a href="#/overview" id="overview-link">Overview</a> <a href="#/cutover" id="cutover-link">Cut-over</a></nav><span class="meta" id="meta"></span>
        <div class="tools">
        <form class="filters" id="filters" autocomplete="off" hidden>
        <label>Window<select id="since">\(options)<option value="custom">custom range…</option></select></label>
        <label class="custom-window" hidden>From (UTC)<input id="from" placeholder="2026-11-22T00:00:00Z" size="22"></label>
        <label class="custom-window" hidden>To (UTC)<input id="to" placeholder="2026-11-23" size="22"></label>
        <button class="primary custom-window" type="submit" hidden>Apply</button>
        <label id="classification-filter" hidden>Classification<select id="classification"><option value="all">all</option><option value="regression">regressions</option><option value="noise">noise</option><option value="race">races</option></select></label>
        </form>
        <button type="button" id="forget-token" class="link" hidden>Forget token</button>
        </div></header>
        <main>
        <div id="view" aria-live="polite"><p class="muted">Loading…</p></div>
        <noscript><div class="banner">The review UI needs JavaScript. <code>tapcompare report --format html</code> writes a report that does not.</div></noscript>
        </main></body></html>

        """
    }
}
