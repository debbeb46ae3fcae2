const VERDICT_CLASS = { ready: "good", not_ready: "bad", not_enough_data: "warn" };
const VERDICT_LABEL = { ready: "ready", not_ready: "not ready", not_enough_data: "not enough data" };

/// The target a route was judged against: its own (`cutover.routes`, marked "own") or the `cutover:` values.
function verdictTarget(r) {
  const text = `≤ ${fmt.percent(r.target)} at ${esc(r.confidence * 100)}%, ≥ ${fmt.count(r.min_comparisons)}, p99 × ${esc(r.max_latency_ratio)}`;
  return r.custom_target === undefined ? `<span class="muted">${text}</span>`
    : `${text} <span class="pill own-target" title="cutover.routes: ${esc(r.custom_target)}">own</span>`;
}

function verdictEta(r) {
  if (r.more_comparisons_needed === undefined) return "–";
  return r.estimated_seconds === undefined ? "unknown (no traffic)" : "~" + fmt.span(r.estimated_seconds);
}

VIEWS.cutover = async (state) => {
  const v = await api("/api/v1/verdict?" + apiQuery(state, false));
  const p = v.policy;
  let html = `<h2 class="headline">Cut-over <span class="${VERDICT_CLASS[v.status]}" id="verdict-status">${VERDICT_LABEL[v.status]}</span></h2>`;
  html += `<p class="muted" id="verdict-policy">A route is ready when the upper bound of its regression rate at ${esc(p.confidence * 100)}% confidence ` +
    `(one-sided Wilson; noise and races excluded) is at most ${fmt.percent(p.max_regression_rate)}, it has at least ${fmt.count(p.min_comparisons)} ` +
    `compared requests, and the candidate's p99 is at most legacy's × ${esc(p.max_latency_ratio)} (<code>cutover:</code> in the configuration).` +
    (Object.keys(p.routes || {}).length > 0 ? ` Routes marked <span class="pill own-target">own</span> are judged against their own target (<code>cutover.routes</code>).` : "") + "</p>";
  if (v.routes.length === 0) return { html: html + '<p id="empty">No routes in this window. Widen it with the window picker.</p>', title: "Cut-over" };
  html += '<table id="verdicts"><thead><tr><th>Status</th><th>Route</th><th class="n">Compared</th><th class="n">Regressed</th><th class="n">Rate</th>' +
    '<th class="n">Upper bound</th><th>Target</th><th class="n">p99 candidate / legacy ms</th><th class="n">More needed</th><th>Time at current traffic</th></tr></thead><tbody>';
  for (const r of v.routes) {
    const name = r.write_route ? "↳ " + r.route.slice(r.write_route.length + 1) : r.route;
    const l = r.latency;
    const p99 = l && l.candidate_p99 !== undefined && l.legacy_p99 !== undefined ? fmt.number(l.candidate_p99) + " / " + fmt.number(l.legacy_p99) : "–";
    html += `<tr data-route="${esc(r.route)}" data-status="${esc(r.status)}"><td class="${VERDICT_CLASS[r.status]}">${VERDICT_LABEL[r.status]}</td>` +
      `<td><a href="${esc(link(state, ["routes", r.route]))}"><code>${esc(name)}</code></a></td><td class="n">${fmt.count(r.compared)}</td>` +
      `<td class="n">${fmt.count(r.regressed)}</td><td class="n">${fmt.percent(r.regression_rate)}</td><td class="n">${fmt.percent(r.upper_bound)}</td>` +
      `<td class="target">${verdictTarget(r)}</td><td class="n">${p99}</td><td class="n">${r.more_comparisons_needed === undefined ? "–" : "+" + fmt.count(r.more_comparisons_needed)}</td><td>${esc(verdictEta(r))}</td></tr>`;
  }
  html += "</tbody></table>";
  for (const r of v.routes.filter((r) => r.status !== "ready")) {
    html += `<section class="verdict" data-route="${esc(r.route)}"><h3><code>${esc(r.route)}</code> <span class="${VERDICT_CLASS[r.status]}">${VERDICT_LABEL[r.status]}</span></h3><ul>` +
      r.reasons.map((reason) => `<li>${esc(reason)}</li>`).join("") +
      r.blockers.map((b) => `<li class="blocker">blocked by <a href="${esc(link(state, ["routes", r.route, "fields", b.field], { kind: b.kind }))}"><code>${esc(b.field)}</code></a> ` +
        `${esc(b.kind)}: ${fmt.count(b.regressions)} regressions in ${fmt.count(b.comparisons)} comparisons` +
        (r.problems || []).filter((p) => p.field === b.field && p.kind === b.kind)
          .map((p) => ` · <span class="problem">${esc(p.shape)} (${fmt.count(p.comparisons)})</span>`).join("") + "</li>").join("") + "</ul></section>";
  }
  return { html, meta: "", title: "Cut-over" };
};
