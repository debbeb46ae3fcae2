const PROBLEM_STATUSES = ["open", "accepted", "fixed"];

/// A problem needs a reviewer while open, or when it was marked fixed and came back.
const needsReview = (p) => p.status === "open" || p.fix_regressed === true;

/// The candidate versions a problem was seen with: strings, or objects such as {version, comparisons}.
function problemVersions(p) {
  if (!Array.isArray(p.versions) || p.versions.length === 0) return "";
  const items = p.versions.map((v) => {
    if (v === null || typeof v !== "object") return `<code>${esc(v)}</code>`;
    const name = v.version !== undefined ? v.version : (v.name !== undefined ? v.name : (v.value !== undefined ? v.value : JSON.stringify(v)));
    const n = v.comparisons !== undefined ? v.comparisons : v.count;
    return `<code>${esc(name)}</code>` + (typeof n === "number" ? ` <span class="muted">(${fmt.count(n)})</span>` : "");
  });
  return `<div class="versions">seen with ${items.join(", ")}</div>`;
}

function statusCell(p) {
  let out = p.fix_regressed
    ? '<span class="pill regression fix-regressed" title="marked fixed, then seen again after that">fixed, seen again</span>'
    : `<span class="pill status-${esc(p.status)}">${esc(p.status)}</span>`;
  if (p.status_set_at) out += `<div class="muted time">set ${fmt.time(p.status_set_at)}</div>`;
  if (p.status_note) out += `<div class="muted">${esc(p.status_note)}</div>`;
  out += '<div class="status-buttons" role="group" aria-label="Set the status">';
  for (const s of PROBLEM_STATUSES) {
    const current = s === p.status;
    out += `<button type="button" class="set-status" data-status="${s}" aria-pressed="${current}"${current && !p.fix_regressed ? " disabled" : ""}>${s}</button>`;
  }
  return out + "</div>";
}

/// One row per problem, seven columns so the status buttons fit a laptop's width: the kind sits under the
/// field, the share under the count, last seen under first seen.
function problemRow(state, p) {
  const fieldLink = link(state, ["routes", p.route, "fields", p.field], { kind: p.kind });
  const examples = (p.example_comparison_ids || []).map((id) =>
    `<div><a href="${esc(link(state, ["comparisons", id]))}" class="mono example" title="${esc(id)}">${esc(id.slice(0, 13))}…</a></div>`).join("");
  const cls = [needsReview(p) ? "" : "settled", p.fix_regressed ? "fix-regressed" : ""].filter((c) => c).join(" ");
  return `<tr data-problem="${esc(p.id)}" data-status="${esc(p.status)}"${cls ? ` class="${cls}"` : ""} ` +
    `data-route="${esc(p.route)}" data-kind="${esc(p.kind)}" data-field="${esc(p.field)}" data-shape="${esc(p.shape)}">` +
    `<td><a href="${esc(link(state, ["routes", p.route]))}"><code>${esc(p.route)}</code></a></td>` +
    `<td><a href="${esc(fieldLink)}"><code>${esc(p.field)}</code></a><div class="muted kind">${esc(p.kind)}</div></td>` +
    `<td class="shape"><span class="bad">${esc(p.shape)}</span>${problemVersions(p)}</td>` +
    `<td class="n"><strong class="comparisons">${fmt.count(p.comparisons)}</strong><div class="muted share">${fmt.percent(p.share)} of route</div></td>` +
    `<td class="muted time"><div class="first-seen">${fmt.time(p.first_seen)}</div><div class="last-seen">${fmt.time(p.last_seen)}</div></td>` +
    `<td>${examples || "–"}</td><td class="status">${statusCell(p)}</td></tr>`;
}

/// The window as the header shows it: the filter's bounds, else the span the problems were seen in.
function problemsWindow(r) {
  const firsts = r.problems.map((p) => p.first_seen).filter((t) => t).sort();
  const lasts = r.problems.map((p) => p.last_seen).filter((t) => t).sort();
  return fmt.window({ filter: r.filter, overview: { first_seen: firsts[0], last_seen: lasts[lasts.length - 1] } });
}

VIEWS.problems = async (state) => {
  const r = await api("/api/v1/problems?" + apiQuery(state, false));
  const c = r.counts, n = c.needing_review;
  let html = `<h2 class="headline" id="problems-headline"><span id="problem-count" class="${n > 0 ? "bad" : "good"}">${fmt.count(n)} problem${n === 1 ? "" : "s"}</span> ` +
    `<span class="muted">to review in this window: regressions grouped by route, kind, field and value shape</span></h2>`;
  html += `<p class="muted" id="problem-counts"><span id="count-open">${fmt.count(c.open)} open</span>` +
    (c.fix_regressed > 0 ? ` · <span class="bad" id="count-fix-regressed">${fmt.count(c.fix_regressed)} fixed, seen again</span>` : "") +
    ` · <span id="count-accepted">${fmt.count(c.accepted)} accepted</span> · <span id="count-fixed">${fmt.count(c.fixed)} fixed</span>` +
    ` · <a href="${esc(link(state, ["overview"]))}">overview</a> · <a href="${esc(link(state, ["cutover"]))}">cut-over verdicts</a></p>`;
  if (r.truncated) html += '<div class="banner">This window has more regressions than are grouped at once: the problems are read from the newest 100,000.</div>';
  html += '<div id="status-error" hidden></div>';
  if (r.problems.length === 0) {
    html += '<p id="empty">No regressions in this window: nothing to review. Widen it with the window picker.</p>';
    return { html, meta: problemsWindow(r), title: "Problems" };
  }
  // What needs a reviewer first; within each group, the API's order (most comparisons first).
  const ordered = r.problems.filter(needsReview).concat(r.problems.filter((p) => !needsReview(p)));
  html += '<table id="problems"><thead><tr><th>Route</th><th>Field · kind</th><th>Value shape</th><th class="n">Comparisons · share</th>' +
    '<th>First · last seen</th><th>Examples</th><th>Status</th></tr></thead><tbody>';
  for (const p of ordered) html += problemRow(state, p);
  html += '</tbody></table><p class="muted">Share: comparisons carrying the problem ÷ the route&#39;s compared requests. ' +
    "<em>accepted</em>: an intended change, to be turned into a rule; <em>fixed</em>: expected to disappear (seen again afterwards, it is flagged).</p>";
  html += signatureSetsSection(r);
  return { html, meta: problemsWindow(r), title: "Problems" };
};

/// Comparisons grouped by the set of problems they carry: problems that always come together are likely one
/// cause behind several symptoms, so a reviewer fixes one and watches the others go.
function signatureSetsSection(r) {
  const sets = r.signature_sets || [];
  if (sets.length === 0) return "";
  let out = '<h3>Problems that come together</h3><table id="signature-sets"><thead><tr><th>Route</th><th>Problems carried together</th>' +
    '<th class="n">Comparisons</th><th class="n">Share</th></tr></thead><tbody>';
  for (const s of sets) {
    out += `<tr data-signatures="${esc((s.signatures || []).join(" "))}"><td><code>${esc(s.route)}</code></td>` +
      `<td>${(s.labels || []).map((l) => `<div><code>${esc(l)}</code></div>`).join("")}</td>` +
      `<td class="n set-comparisons">${fmt.count(s.comparisons)}</td><td class="n">${fmt.percent(s.share)}</td></tr>`;
  }
  out += "</tbody></table>";
  const omitted = r.signature_sets_omitted || 0;
  return out + `<p class="muted">Share: of the comparisons carrying a problem.${omitted > 0 ? ` ${fmt.count(omitted)} comparisons carry sets not listed.` : ""}</p>`;
}

/// The status buttons: POST /api/v1/problems/status (the same API client, token and JSON body as "mark as
/// noise", which the listener's cross-site checks require), then the view is drawn again from the API.
function installProblemStatus() {
  $("view").addEventListener("click", async (event) => {
    const button = event.target.closest("button.set-status");
    if (!button) return;
    const row = button.closest("tr[data-problem]");
    const { route, kind, field, shape } = row.dataset;
    const buttons = row.querySelectorAll("button.set-status");
    for (const b of buttons) b.disabled = true;
    const box = $("status-error");
    try {
      await api("/api/v1/problems/status", { route, kind, field, shape, status: button.dataset.status, set_by: "review UI" });
      box.hidden = true;
      await render();
    } catch (error) {
      for (const b of buttons) b.disabled = b.getAttribute("aria-pressed") === "true" && !row.classList.contains("fix-regressed");
      if (error.status === 401) { showTokenForm(error.message === "refused"); return; }
      box.innerHTML = `<div class="banner error" id="status-error-text">Could not set <code>${esc(field)}</code> (${esc(shape)}) on <code>${esc(route)}</code> to ${esc(button.dataset.status)}: ${esc(error.message)}</div>`;
      box.hidden = false;
      box.scrollIntoView({ block: "nearest" });
    }
  });
}
