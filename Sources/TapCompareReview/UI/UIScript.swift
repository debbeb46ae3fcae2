/// The UI's only script: "mark as noise" posts an annotation and shows the `diff-rules/` rule to add.
/// Served from `/ui/app.js` (same origin, so a strict Content-Security-Policy can forbid inline script).
enum UIScript {
    /// Where pages load it from.
    static let loader = "/ui/app.js"

    static let source = #"""
    "use strict";
    (function () {
      function show(html) {
        var box = document.getElementById("rule");
        if (!box) return;
        box.innerHTML = html;
        box.hidden = false;
        box.scrollIntoView({ behavior: "smooth", block: "center" });
      }
      function escapeHTML(s) {
        return String(s).replace(/[&<>"']/g, function (c) {
          return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
        });
      }
      document.addEventListener("click", function (event) {
        var button = event.target.closest("button.mark-noise");
        if (!button) return;
        button.disabled = true;
        fetch("/api/v1/annotations", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          credentials: "same-origin",
          body: JSON.stringify({
            route: button.dataset.route,
            field: button.dataset.field,
            kind: button.dataset.kind || undefined,
            classification: "noise",
            note: "marked as noise in the review UI",
            created_by: "review UI"
          })
        }).then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        }).then(function (result) {
          if (!result.ok) throw new Error(result.body.error || "request failed");
          button.outerHTML = '<span class="pill noise">marked noise</span>';
          var rule = result.body.rule;
          show('<div class="suggest"><strong>Marked <code>' + escapeHTML(result.body.field) +
               '</code> as noise.</strong> To stop the proxy reporting it, add this to a file in <code>diff-rules/</code>' +
               ' and reload (SIGHUP):<pre id="rule-yaml">' + escapeHTML(rule || "") + '</pre></div>');
        }).catch(function (error) {
          button.disabled = false;
          show('<div class="banner">Could not store the annotation: ' + escapeHTML(error.message) + '</div>');
        });
      });
    })();
    """#
}
