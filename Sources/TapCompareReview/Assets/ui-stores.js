const STORE_COLUMNS = [["compared", ""], ["matched", ""], ["regressions", "bad"], ["races", ""], ["noise", "muted"], ["missing", "bad"], ["errors", "warn"], ["skipped", ""]];

/// One write route's stores × outcome.
function storeMatrix(state, check) {
  let out = `<table class="store-matrix" data-write-route="${esc(check.write_route)}"><thead><tr><th>Store</th>` +
    STORE_COLUMNS.map(([name]) => `<th class="n">${esc(name[0].toUpperCase() + name.slice(1))}</th>`).join("") + "</tr></thead><tbody>";
  for (const row of check.stores) {
    out += `<tr data-store="${esc(row.store)}"><td><a href="${esc(link(state, ["routes", row.route]))}"><code>${esc(row.store)}</code></a></td>` +
      STORE_COLUMNS.map(([name, cls]) => `<td class="n${row[name] > 0 && cls ? " " + cls : ""}" data-column="${name}">${fmt.count(row[name])}</td>`).join("") + "</tr>";
  }
  out += "</tbody></table>";
  const reasons = check.stores.filter((row) => (row.reasons || []).length > 0);
  if (reasons.length) {
    out += '<ul class="reasons muted">' + reasons.map((row) =>
      `<li><code>${esc(row.store)}</code>: ${row.reasons.map((r) => esc(r.reason) + " " + fmt.count(r.count)).join(", ")}</li>`).join("") + "</ul>";
  }
  return out;
}

/// The store checks section of the overview and of a write route's view; empty when there are none.
function storeChecksSection(state, checks, heading) {
  if (!checks || checks.length === 0) return "";
  let out = `<section id="store-checks"><h2>${heading}</h2><p class="muted">Each store a write lands in, read on both sides after the write. ` +
    "Counted here only, never in the HTTP figures; missing (a record on one side only) overlaps regressions and races.</p>";
  for (const check of checks) out += `<h3><code>${esc(check.write_route)}</code></h3>` + storeMatrix(state, check);
  return out + "</section>";
}

/// A store check names its write; a write lists its store checks.
function linkedComparisons(c) {
  const id = (value) => `<a href="#/comparisons/${esc(enc(value))}"><code>${esc(value)}</code></a>`;
  let out = "";
  if (c.linked_comparison_id) {
    out += c.store ? `<dt>Store</dt><dd><code>${esc(c.store)}</code></dd><dt>Write</dt><dd class="write-link">${id(c.linked_comparison_id)}</dd>`
                   : `<dt>Verifies</dt><dd>${id(c.linked_comparison_id)}</dd>`;
  }
  if ((c.store_checks || []).length) {
    out += '<dt>Store checks</dt><dd><ul class="store-checks">' + c.store_checks.map((s) =>
      `<li data-store="${esc(s.store)}"><code>${esc(s.store)}</code> ${esc(s.outcome)}` +
      (s.discrepancy_count > 0 ? ` (${s.regression_count} of ${s.discrepancy_count} discrepancies are regressions)` : "") +
      (s.reason ? ` <span class="muted">${esc(s.reason)}</span>` : "") + ` · ${id(s.id)}</li>`).join("") + "</ul></dd>";
  }
  return out;
}
