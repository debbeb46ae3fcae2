const BODY_KINDS = new Set(["value_changed", "type_changed", "missing_in_candidate", "extra_in_candidate", "array_order", "duplicate_key"]);

function card(label, value, sub, cls) {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value ${cls || ""}">${value}</div><div class="sub">${sub || ""}</div></div>`;
}

function cards(o) {
  const reason = (prefix) => {
    const r = (o.errors_by_reason || []).find((x) => x.reason.startsWith(prefix));
    return r ? esc(r.reason.slice(prefix.length)) : "";
  };
  return '<div class="cards" id="overview">' +
    `<div class="card hero"><div class="label">Mismatch rate (regressions)</div><div class="value ${rateClass(o.regressed)}" id="mismatch-rate">${fmt.percent(o.mismatch_rate)}</div>` +
    `<div class="sub" id="regressed-line">${fmt.count(o.regressed)} of ${fmt.count(o.compared)} compared requests</div></div>` +
    card("Compared", fmt.count(o.compared), fmt.count(o.matches) + " matched") +
    card("Noise / race only", `<span id="noise-race-only">${fmt.count(o.noise_or_race_only)}</span>`,
      `noise <span id="noise-only">${fmt.count(o.noise_only)}</span> · races <span id="race-only">${fmt.count(o.race_only)}</span>; not counted in the rate`) +
    card("Candidate errors", fmt.count(o.candidate_errors), reason("error: "), o.candidate_errors > 0 ? "warn" : "") +
    card("Timeouts", fmt.count(o.candidate_timeouts), reason("timeout: "), o.candidate_timeouts > 0 ? "warn" : "") +
    card("Skipped", fmt.count(o.skipped), (o.skips_by_reason || []).slice(0, 2).map((s) => esc(s.reason) + " " + fmt.count(s.count)).join(", ")) +
    "</div>";
}

function gapBanners(gaps) {
  return (gaps || []).map((g) =>
    `<div class="banner"><strong>${g.count === 0 ? "An unknown number of" : fmt.count(g.count)} comparisons are missing</strong> from ${esc(g.instance)} (${esc(g.reason)}) between ${fmt.time(g.from)} and ${fmt.time(g.to)}: figures in this window undercount.</div>`
  ).join("");
}

function metaLine(report) {
  const parts = [fmt.window(report)];
  const instances = report.overview.instances || [];
  if (instances.length) parts.push("instances " + instances.map((i) => `${i.instance} (${fmt.count(i.comparisons)})`).join(", "));
  return parts.join(" · ");
}

function routesTable(state, routes) {
  let out = '<table id="routes"><thead><tr><th>Route</th><th class="n">Mismatch rate</th><th class="n">Regressed</th><th class="n">Compared</th>' +
    '<th class="n">Noise/race only</th><th class="n">Errors</th><th class="n">Timeouts</th><th class="n">Legacy p50 / p90 / p99</th>' +
    '<th class="n">Candidate p50 / p90 / p99</th><th class="n">p99 ratio</th></tr></thead><tbody>';
  for (const r of routes) {
    const ratio = r.latency && r.latency.ratio ? `<span class="${r.latency.ratio.p99 <= 1 ? "good" : "bad"}">${fmt.ratio(r.latency.ratio.p99)}</span>` : "–";
    out += `<tr data-route="${esc(r.route)}"><td><a href="${esc(link(state, ["routes", r.route]))}"><code>${esc(r.route)}</code></a></td>` +
      `<td class="n ${rateClass(r.regressed)}"><strong>${fmt.percent(r.mismatch_rate)}</strong></td><td class="n">${fmt.count(r.regressed)}</td>` +
      `<td class="n">${fmt.count(r.compared)}</td><td class="n muted">${fmt.count(r.noise_or_race_only)}</td>` +
      `<td class="n">${fmt.count(r.candidate_errors)}</td><td class="n">${fmt.count(r.candidate_timeouts)}</td>` +
      `<td class="n">${fmt.percentiles(r.latency && r.latency.legacy)}</td><td class="n">${fmt.percentiles(r.latency && r.latency.candidate)}</td><td class="n">${ratio}</td></tr>`;
  }
  return out + '</tbody></table><p class="muted">Latencies in milliseconds over compared requests; ratio = candidate ÷ legacy at p99 (below 1: the candidate is faster).</p>';
}

function pills(f) {
  const parts = [];
  if (f.regressions > 0) parts.push(`<span class="pill regression">${fmt.count(f.regressions)} regression</span>`);
  if (f.races > 0) parts.push(`<span class="pill race">${fmt.count(f.races)} race</span>`);
  if (f.noise > 0) parts.push(`<span class="pill noise">${fmt.count(f.noise)} noise</span>`);
  return parts.join(" ");
}

function exampleValues(e) {
  return `<code>${esc(fmt.value(e.legacy_value, 60))}</code> → <code>${esc(fmt.value(e.candidate_value, 60))}</code>`;
}

function suggestion(s, field) {
  return `<div class="suggest"><strong>Probably noise:</strong> <code>${esc(field)}</code> ${esc(s.reason)}. Add to <code>diff-rules/</code>:<pre>${esc(s.rule)}</pre></div>`;
}

/// "Mark as noise" for a body field (an ignore rule cannot name status or headers), or the verdict already given.
function markButton(route, field, kind, annotation) {
  if (annotation === "noise") return '<span class="pill noise marked">marked noise</span>';
  if (!field.startsWith("$")) return "";
  return `<button type="button" class="mark-noise" data-route="${esc(route)}" data-field="${esc(field)}" data-kind="${esc(kind || "")}">Mark as noise</button>`;
}

function crumbs(state, route, last) {
  let out = `<nav class="crumbs"><a href="${esc(link(state, ["overview"]))}">Overview</a>`;
  if (route !== undefined) out += last === undefined ? ` › <code>${esc(route)}</code>` : ` › <a href="${esc(link(state, ["routes", route]))}"><code>${esc(route)}</code></a>`;
  if (last !== undefined) out += " › " + last;
  return out + "</nav>";
}

function comparisonFacts(c) {
  let out = '<dl class="kv">';
  out += `<dt>Request</dt><dd><code>${esc(c.method)} ${esc(c.path)}</code></dd>`;
  out += `<dt>Outcome</dt><dd>${esc(c.outcome)}${c.reason ? " (" + esc(c.reason) + ")" : ""} · ${c.regression_count} of ${c.discrepancy_count} discrepancies are regressions</dd>`;
  out += `<dt>Recorded</dt><dd>${fmt.time(c.recorded_at)} by ${esc(c.instance)} · request id <code>${esc(c.request_id)}</code></dd>`;
  if (c.run_id) out += `<dt>Run</dt><dd><code>${esc(c.run_id)}</code></dd>`;
  if (c.candidate_version) out += `<dt>Candidate version</dt><dd><code class="candidate-version">${esc(c.candidate_version)}</code></dd>`;
  out += linkedComparisons(c);
  out += `<dt>Id</dt><dd><a href="#/comparisons/${esc(enc(c.id))}"><code>${esc(c.id)}</code></a></dd></dl>`;
  if (c.request_sample) out += `<details><summary>Request sample</summary><div class="inner"><pre>${esc(c.request_sample)}</pre></div></details>`;
  return out;
}

/// Legacy and candidate bodies side by side, the differing paths highlighted.
function sideBySide(c) {
  const paths = new Set((c.discrepancies || []).filter((d) => BODY_KINDS.has(d.kind)).map((d) => d.path));
  if (c.grpc) return grpcSides(c, c.grpc, paths);
  const side = (name, status, ms, sample, cls) =>
    `<div><h4>${name} · ${status === undefined ? "no answer" : status}${ms === undefined ? "" : " · " + fmt.ms(ms)}</h4><pre class="body ${cls}">${bodyView(sample, paths)}</pre></div>`;
  let out = '<div class="side">' + side("Legacy", c.legacy_status, c.legacy_ms, c.legacy_sample, "legacy") +
    side("Candidate", c.candidate_status, c.candidate_ms, c.candidate_sample, "candidate") + "</div>";
  if (c.samples_truncated) out += '<p class="muted">A sample was cut at the ledger&#39;s size cap; highlighting needs the whole body.</p>';
  return out;
}

/// A gRPC call's sides, as the report draws them (``HTMLComponents/grpcSides``): `gRPC 5 NOT_FOUND · HTTP 200`,
/// the grpc-message, each kept message as JSON with its size on the wire, differing paths highlighted inside it.
function grpcSides(c, grpc, paths) {
  const side = (name, s, http, ms, sample, cls) => {
    const latency = ms === undefined || ms === null ? "" : " · " + fmt.ms(ms);
    let out = `<div><h4>${name}</h4>`;
    if (!s) return out + `<p class="grpc-status">no answer${latency}</p></div>`;
    const code = s.status === undefined || s.status === null ? "no status" : s.status + (s.status_name ? " " + s.status_name : "");
    const httpText = http === undefined || http === null ? "no answer" : http;
    out += `<p class="grpc-status">${esc(`gRPC ${code} · HTTP ${httpText}`)}${latency}</p>`;
    if (s.message !== undefined && s.message !== null) out += `<p class="grpc-message">grpc-message <code>${esc(s.message)}</code></p>`;
    if (!s.messages) return out + `<pre class="body ${cls}">${bodyView(sample, paths)}</pre></div>`;
    if (s.messages.length === 0) out += '<p class="muted">(no messages)</p>';
    s.messages.forEach((m, i) => {
      const prefix = `/messages/${i}`;
      const inner = new Set([...paths].filter((p) => p === prefix || p.startsWith(prefix + "/")).map((p) => p.slice(prefix.length)));
      out += `<div class="grpc-msg"><p class="muted">message ${i} · ${m.bytes === 1 ? "1 byte" : m.bytes + " bytes"}</p>` +
        `<pre class="body ${cls}">${bodyView(m.json, inner)}</pre></div>`;
    });
    if (s.omitted_messages > 0) out += `<p class="muted">${s.omitted_messages} more not kept</p>`;
    return out + "</div>";
  };
  let out = '<div class="side grpc">' + side("Legacy", grpc.legacy, c.legacy_status, c.legacy_ms, c.legacy_sample, "legacy") +
    side("Candidate", grpc.candidate, c.candidate_status, c.candidate_ms, c.candidate_sample, "candidate") + "</div>";
  if (c.samples_truncated) out += '<p class="muted">Some messages were left out at the ledger&#39;s caps (grpc.max_recorded_messages, grpc.max_recorded_bytes).</p>';
  return out;
}

function discrepancyTable(c) {
  let out = '<table class="discrepancies"><thead><tr><th>Path</th><th>Field</th><th>Kind</th><th>Legacy</th><th>Candidate</th><th>Class</th></tr></thead><tbody>';
  for (const d of c.discrepancies || []) {
    out += `<tr><td><code>${esc(d.path === "" ? "(whole)" : d.path)}</code></td><td><code>${esc(d.field)}</code></td><td>${esc(d.kind)}</td>` +
      `<td><code>${esc(fmt.value(d.legacy_value, 80))}</code></td><td><code>${esc(fmt.value(d.candidate_value, 80))}</code></td>` +
      `<td><span class="pill ${esc(d.classification)}">${esc(d.classification)}</span></td></tr>`;
  }
  return out + "</tbody></table>";
}

/// The learned-noise thresholds in force and the fields they classify as noise, as `tapcompare report` shows
/// them (``HTMLReportRenderer/learnedNoise(_:)``); nothing when no instance published a model.
function learnedNoise(noise) {
  if (!noise) return "";
  const settings = [];
  for (const m of noise.models || []) {
    const text = m.learning
      ? `min_share ${Number(m.min_share).toFixed(2)}, min_samples ${m.min_samples}, window ${m.window}`
      : "not learning (no baseline: set noise.replay_legacy or secondary:)";
    if (!settings.includes(text)) settings.push(text);
  }
  const classified = (noise.fields || []).filter((f) => f.classified_as_noise);
  let out = '<section id="learned-noise"><h2>Learned noise</h2><p class="muted">' +
    esc(settings.join("; ") + ` — ${fmt.count(classified.length)} field${classified.length === 1 ? "" : "s"} classified as noise`) +
    ". Fields legacy itself keeps changing are noise where a comparison had no baseline of its own.</p>";
  if (classified.length > 0) {
    out += '<table id="learned-noise-fields"><thead><tr><th>Route</th><th>Field</th><th class="n">Noisy in</th><th class="n">Share</th></tr></thead><tbody>';
    for (const f of classified) {
      out += `<tr><td><code>${esc(f.route)}</code></td><td><code>${esc(f.field)}</code></td>` +
        `<td class="n">${fmt.count(f.noisy_in)} of ${fmt.count(f.samples)}</td><td class="n">${fmt.percent(f.share)}</td></tr>`;
    }
    out += "</tbody></table>";
  }
  return out + "</section>";
}

function filterNote(state) {
  return state.classification === "all" ? "" : ` <span class="pill ${esc(state.classification)}" id="filter-note">${esc(state.classification)} only</span>`;
}

const VIEWS = {
  async overview(state) {
    const q = apiQuery(state, false);
    const [ov, rs, st] = await Promise.all([api("/api/v1/overview?" + q), api("/api/v1/routes?" + q), api("/api/v1/stores?" + q)]);
    let html = cards(ov.overview) + gapBanners(ov.gaps) + "<h2>Routes by impact</h2>";
    html += rs.routes.length === 0 ? '<p id="empty">No comparisons in this window. Widen it with the window picker.</p>' : routesTable(state, rs.routes);
    html += storeChecksSection(state, st.store_checks, "Store checks: writes verified in their stores");
    html += '<div class="charts"><section><h2>Mismatch rate over time</h2>' + timelineChart(ov.timeline) + "</section>";
    html += "<section><h2>Latency, legacy against candidate</h2>" + latencyChart(rs.routes) + "</section></div>";
    html += learnedNoise(ov.learned_noise);
    return { html, meta: metaLine(ov), title: "Overview" };
  },

  async route(state) {
    const route = state.segments[1];
    const [rs, fs, st] = await Promise.all([
      api(`/api/v1/routes?${apiQuery(state, false)}&route=${enc(route)}`),
      api(`/api/v1/routes/${enc(route)}/fields?${apiQuery(state, true)}`),
      api(`/api/v1/stores?${apiQuery(state, false)}&route=${enc(route)}`),
    ]);
    const r = rs.routes[0];
    let html = crumbs(state, route);
    if (r) {
      html += `<h2 class="headline"><code>${esc(route)}</code> <span class="${rateClass(r.regressed)}" id="route-rate">${fmt.percent(r.mismatch_rate)}</span> ` +
        `<span class="muted">mismatch rate · <span id="route-regressed">${fmt.count(r.regressed)} of ${fmt.count(r.compared)}</span> compared regressed · ` +
        `${fmt.count(r.noise_or_race_only)} noise/race only</span></h2>`;
      html += `<p class="muted">Status codes — legacy ${esc(fmt.statusMix(r.legacy_status))}; candidate ${esc(fmt.statusMix(r.candidate_status))}. ` +
        `${fmt.count(r.candidate_errors)} candidate errors, ${fmt.count(r.candidate_timeouts)} timeouts, ${fmt.count(r.skipped)} skipped. First seen ${fmt.time(r.first_seen)}, last seen ${fmt.time(r.last_seen)}.</p>`;
    } else {
      html += `<h2><code>${esc(route)}</code></h2><p>No comparisons for this route in this window.</p>`;
    }
    html += `<h3>Fields by impact${filterNote(state)}</h3><div id="rule" hidden></div>`;
    if (fs.fields.length === 0) {
      html += `<p class="muted" id="no-fields">No field differences${state.classification === "all" ? "" : " classified " + esc(state.classification)} in this window.</p>`;
    } else {
      html += '<table id="fields"><thead><tr><th>Field</th><th>Kind</th><th class="n">Comparisons</th><th class="n">Share</th><th>Classification</th><th>Latest (legacy → candidate)</th><th>Last seen</th><th></th></tr></thead><tbody>';
      for (const f of fs.fields) {
        const fieldLink = link(state, ["routes", route, "fields", f.field], { kind: f.kind });
        html += `<tr data-field="${esc(f.field)}"><td><a href="${esc(fieldLink)}"><code>${esc(f.field)}</code></a></td><td>${esc(f.kind)}</td>` +
          `<td class="n">${fmt.count(f.comparisons)}</td><td class="n">${fmt.percent(f.share)}</td><td>${pills(f)}</td>` +
          `<td>${f.examples && f.examples[0] ? exampleValues(f.examples[0]) : ""}</td><td class="muted time">${fmt.time(f.last_seen)}</td>` +
          `<td>${markButton(route, f.field, f.kind, f.annotation)}</td></tr>`;
        // A reviewer's verdict supersedes the suggestion: once marked, the rule was already shown.
        if (f.suggestion && f.annotation !== "noise") html += `<tr class="suggestion" data-suggestion-for="${esc(f.field)}"><td colspan="8">${suggestion(f.suggestion, f.field)}</td></tr>`;
      }
      html += "</tbody></table>";
    }
    html += storeChecksSection(state, st.store_checks, "Store checks");
    if (r) html += "<h3>Latency, legacy against candidate</h3>" + latencyChart([r]);
    return { html, meta: r ? fmt.window({ filter: rs.filter, overview: r }) : "", title: route };
  },

  async field(state) {
    const route = state.segments[1], field = state.segments[3], kind = state.params.get("kind") || "";
    const qc = apiQuery(state, true);
    const [ex, fs] = await Promise.all([
      api(`/api/v1/routes/${enc(route)}/fields/${enc(field)}/examples?${qc}&limit=20${kind ? "&kind=" + enc(kind) : ""}`),
      api(`/api/v1/routes/${enc(route)}/fields?${qc}`),
    ]);
    const report = fs.fields.find((f) => f.field === field && (!kind || f.kind === kind));
    const examples = ex.examples;
    const selected = state.params.get("example") || (examples[0] && examples[0].comparison_id);
    const comparison = selected ? await api(`/api/v1/comparisons/${enc(selected)}`) : null;

    let html = crumbs(state, route, `<code>${esc(field)}</code>`);
    html += `<h2 class="headline"><code>${esc(field)}</code> <span class="muted">${esc(kind || "every kind")}</span> ${markButton(route, field, kind, report && report.annotation)}</h2>`;
    if (report) {
      html += `<p><strong id="field-comparisons">${fmt.count(report.comparisons)}</strong> comparisons (${fmt.percent(report.share)} of the route&#39;s compared requests) ` +
        `${pills(report)}${filterNote(state)} <span class="muted">· ${fmt.count(report.occurrences)} occurrences · first seen ${fmt.time(report.first_seen)}, last seen ${fmt.time(report.last_seen)}</span></p>`;
      if (report.suggestion) html += suggestion(report.suggestion, field);
    }
    html += '<div id="rule" hidden></div>';
    if (examples.length === 0) {
      html += '<p class="muted" id="no-examples">No occurrences in this window.</p>';
      return { html, meta: route, title: field };
    }
    html += `<h3>Latest occurrences</h3><table id="examples"><thead><tr><th>When</th><th>Path</th><th>Legacy → candidate</th><th>Class</th><th>Comparison</th></tr></thead><tbody>`;
    for (const e of examples) {
      const here = link(state, ["routes", route, "fields", field], { kind, example: e.comparison_id });
      html += `<tr${e.comparison_id === selected ? ' class="selected"' : ""}><td class="muted time">${fmt.time(e.recorded_at)}</td><td><code>${esc(e.path === "" ? field : e.path)}</code></td>` +
        `<td>${exampleValues(e)}</td><td><span class="pill ${esc(e.classification)}">${esc(e.classification)}</span></td>` +
        `<td><a href="${esc(here)}" class="mono">${esc(e.comparison_id)}</a></td></tr>`;
    }
    html += "</tbody></table>";
    if (comparison) {
      html += `<h3 id="example">Comparison <a href="#/comparisons/${esc(enc(comparison.id))}" class="mono">${esc(comparison.id)}</a></h3>` +
        sideBySide(comparison) + comparisonFacts(comparison);
    }
    return { html, meta: route, title: field };
  },

  async comparison(state) {
    const c = await api(`/api/v1/comparisons/${enc(state.segments[1])}`);
    let html = crumbs(state, c.route, "comparison");
    html += `<h2>Comparison <span class="mono">${esc(c.id)}</span></h2>` + comparisonFacts(c);
    html += "<h3>Bodies</h3>" + sideBySide(c) + "<h3>Discrepancies</h3>" + discrepancyTable(c);
    return { html, meta: c.route, title: "Comparison " + c.id };
  },

  async unknown(state) {
    throw new APIError(404, "This link names no view (" + location.hash + "). Views are #/ (problems), #/overview, #/routes/{route}, #/routes/{route}/fields/{field}, #/comparisons/{id} and #/cutover.");
  },
};

/// "Mark as noise": stores an annotation (POST /api/v1/annotations) and shows the diff-rules/ rule to add.
function installMarkAsNoise() {
  $("view").addEventListener("click", async (event) => {
    const button = event.target.closest("button.mark-noise");
    if (!button) return;
    const { route, field, kind } = button.dataset;
    button.disabled = true;
    const box = $("rule");
    try {
      const a = await api("/api/v1/annotations", {
        route, field, kind: kind || undefined, classification: "noise",
        note: "marked as noise in the review UI", created_by: "review UI",
      });
      for (const b of document.querySelectorAll("button.mark-noise")) {
        if (b.dataset.route === route && b.dataset.field === field && b.dataset.kind === kind) b.outerHTML = '<span class="pill noise marked">marked noise</span>';
      }
      for (const row of document.querySelectorAll("tr.suggestion")) if (row.dataset.suggestionFor === field) row.remove();
      box.innerHTML = `<div class="suggest" id="rule-box"><strong>Marked <code>${esc(a.field)}</code> as noise</strong> (stored as annotation ${a.id}). ` +
        (a.rule ? `To stop the proxy reporting it, add this to a file in <code>diff-rules/</code> and reload the rules (SIGHUP):<pre id="rule-yaml">${esc(a.rule)}</pre>`
                : "No ignore rule can name this field (status and headers); the verdict is recorded for reviewers.") + "</div>";
    } catch (error) {
      button.disabled = false;
      if (error.status === 401) { showTokenForm(error.message === "refused"); return; }
      box.innerHTML = `<div class="banner error">Could not store the annotation: ${esc(error.message)}</div>`;
    }
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  });
}
