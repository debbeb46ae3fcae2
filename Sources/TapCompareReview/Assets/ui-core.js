const TOKEN_KEY = "tapcompare.admin-token";
const meta = document.querySelector('meta[name="tapcompare-default-since"]');
const DEFAULT_SINCE = (meta && meta.content) || "24h";
const $ = (id) => document.getElementById(id);

function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const enc = encodeURIComponent;

// ---- The token: asked for once, kept for this tab only, sent on every API call. -------------------------
function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
}
function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* storage disabled: the token lives until the page is left */ }
  memoryToken = token;
  $("forget-token").hidden = !token;
}
let memoryToken = storedToken();

class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/// GET (or POST with `body`) under /api/v1; resolves to the decoded JSON, rejects with an APIError whose
/// status is 401 when the listener wants a token (message "refused" when one was sent).
async function api(path, body) {
  const headers = { "Accept": "application/json" };
  const token = memoryToken;
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST", headers, cache: "no-store", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new APIError(0, "Could not reach the admin listener (" + e.message + "). Is tapcompare still running?");
  }
  if (response.status === 401) throw new APIError(401, token ? "refused" : "needed");
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* reported below */ }
  if (!response.ok) throw new APIError(response.status, (json && json.error) || ("HTTP " + response.status + ": " + text.slice(0, 200)));
  if (json === null) throw new APIError(response.status, "the API's answer is not JSON");
  return json;
}

// ---- State: everything a view shows is in the URL's hash, so every view is a link to share. -------------
//   #/                                   the problems (``problems``): what the UI opens on
//   #/overview                           overview
//   #/routes/{route}                     one route's fields
//   #/routes/{route}/fields/{field}      one field's occurrences and an example comparison
//   #/comparisons/{id}                   one comparison
//   #/cutover                            the cut-over verdicts (``cutover``)
// with ?since=24h | from=…&to=…, classification=regression|noise|race, kind=…, example=… after the path.
function readState() {
  let hash = location.hash.replace(/^#/, "");
  let query = "";
  const q = hash.indexOf("?");
  if (q >= 0) { query = hash.slice(q + 1); hash = hash.slice(0, q); }
  const params = new URLSearchParams(query);
  let segments;
  try {
    segments = hash.split("/").filter((s) => s !== "").map(decodeURIComponent);
  } catch (e) {
    segments = ["bad-link"];
  }
  const from = params.get("from") || "", to = params.get("to") || "";
  const since = from || to ? "" : (params.get("since") || DEFAULT_SINCE);
  const classification = params.get("classification") || "all";
  return { segments, params, since, from, to, classification };
}

/// The window and filter as API query parameters.
function apiQuery(state, withClassification) {
  const p = new URLSearchParams();
  if (state.since) p.set("since", state.since);
  if (state.from) p.set("from", state.from);
  if (state.to) p.set("to", state.to);
  if (withClassification && state.classification !== "all") p.set("classification", state.classification);
  return p.toString();
}

/// A link to a view, carrying the window and filter. The window is always spelled out, so a shared link
/// shows the same figures whatever window the colleague's UI opens on.
function link(state, segments, extra) {
  const p = new URLSearchParams();
  if (state.since) p.set("since", state.since);
  if (state.from) p.set("from", state.from);
  if (state.to) p.set("to", state.to);
  if (state.classification !== "all") p.set("classification", state.classification);
  for (const [k, v] of Object.entries(extra || {})) if (v) p.set(k, v);
  const query = p.toString();
  return "#/" + segments.map(enc).join("/") + (query ? "?" + query : "");
}

// ---- The filter bar: window picker and classification filter; every change is a new URL. --------------
function syncFilters(state, viewName) {
  const since = $("since");
  const value = state.since || "custom";
  if (![...since.options].some((o) => o.value === value)) {
    since.add(new Option("last " + value, value), since.options[since.options.length - 1]);
  }
  since.value = value;
  const custom = value === "custom";
  for (const el of document.querySelectorAll(".custom-window")) el.hidden = !custom;
  if (custom) { $("from").value = state.from; $("to").value = state.to; }
  $("classification").value = state.classification;
  // The classification filter narrows field lists and examples; route and overview figures always count
  // regressions only, so it is offered where it changes something.
  $("classification-filter").hidden = !(viewName === "route" || viewName === "field");
  $("filters").hidden = viewName === "comparison";
}

function navigateWith(change) {
  const state = readState();
  Object.assign(state, change);
  if (state.since) { state.from = ""; state.to = ""; }
  const extra = {};
  for (const key of ["kind", "example"]) extra[key] = state.params.get(key);
  if (change.classification !== undefined) extra.example = "";
  location.hash = link(state, state.segments, extra);
}

function installFilters() {
  $("since").addEventListener("change", (event) => {
    const value = event.target.value;
    if (value === "custom") {
      for (const el of document.querySelectorAll(".custom-window")) el.hidden = false;
      $("from").focus();
      return;
    }
    navigateWith({ since: value });
  });
  $("classification").addEventListener("change", (event) => navigateWith({ classification: event.target.value }));
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const from = $("from").value.trim(), to = $("to").value.trim();
    if ($("since").value === "custom") navigateWith({ since: "", from, to });
    else navigateWith({ since: $("since").value });
  });
  $("forget-token").addEventListener("click", () => { storeToken(""); render(); });
}

// ---- The token form, shown when the API answers 401. ------------------------------------------------------
function showTokenForm(refused) {
  if (refused) storeToken("");  // never resend a token the listener refused
  $("filters").hidden = true;
  $("meta").textContent = "";
  $("view").innerHTML =
    '<form id="token-form" class="token-form">' +
    "<h2>This admin listener needs its token</h2>" +
    (refused ? '<div class="banner error" id="token-refused"><strong>The token was refused</strong> (401 Unauthorized): it is not this listener&#39;s <code>admin.token</code>. Enter it again.</div>' : "") +
    "<p>The review API answers only requests carrying <code>Authorization: Bearer &lt;admin.token&gt;</code> " +
    "(the <code>admin.token</code> key of <code>tapcompare serve</code>&#39;s configuration). The token is kept in this browser tab only " +
    "(<code>sessionStorage</code>) and sent only to this listener.</p>" +
    '<label for="token-input">Admin token</label> <input type="password" id="token-input" autocomplete="current-password" size="40" required> ' +
    '<button class="primary" type="submit">Open the review</button></form>';
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    storeToken($("token-input").value.trim());
    render();
  });
  $("token-input").focus();
  setState("token", "token");
}

// ---- The view loop. ----------------------------------------------------------------------------------------
let renderSequence = 0;

/// Marks what is on screen, for tests and screen readers waiting for the page to settle.
function setState(state, viewName) {
  document.body.dataset.state = state;
  document.body.dataset.view = viewName;
  document.body.dataset.hash = location.hash;
  $("view").setAttribute("aria-busy", state === "loading" ? "true" : "false");
}

async function render() {
  const sequence = ++renderSequence;
  const state = readState();
  const viewName = pickView(state.segments);
  syncFilters(state, viewName);
  setState("loading", viewName);
  try {
    const out = await VIEWS[viewName](state);
    if (sequence !== renderSequence) return;  // a newer navigation won
    $("view").innerHTML = out.html;
    $("meta").textContent = out.meta || "";
    document.title = (out.title ? out.title + " · " : "") + "TapCompare review";
    if (out.after) out.after();
    setState("ready", viewName);
  } catch (error) {
    if (sequence !== renderSequence) return;
    if (error.status === 401) { showTokenForm(error.message === "refused"); return; }
    $("view").innerHTML = '<div class="banner error" id="error">' + esc(error.message) + '</div><p><a href="#/">Back to the problems</a></p>';
    setState("error", viewName);
  }
}

function pickView(segments) {
  if (segments.length === 0) return "problems";
  if (segments[0] === "overview" && segments.length === 1) return "overview";
  if (segments[0] === "cutover" && segments.length === 1) return "cutover";
  if (segments[0] === "routes" && segments.length === 2) return "route";
  if (segments[0] === "routes" && segments.length === 4 && segments[2] === "fields") return "field";
  if (segments[0] === "comparisons" && segments.length === 2) return "comparison";
  return "unknown";
}
