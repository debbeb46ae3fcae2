#!/usr/bin/env bash
# Drives the review web UI in a real headless browser (Debian's `chromium`) over a ledger with known contents.
#
#   scripts/ui-browser-test.sh [SCREENSHOT_DIR]      (default bench/results/ui)
#
# 1. Builds `tapcompare` and `tapcompare-bench` and writes a small SQLite ledger with known figures
#    (`tapcompare-bench report-demo`, see bench/Sources/tapcompare-bench/ReportDemoLedger.swift).
# 2. The token path, as deployed: `tapcompare serve` with its admin listener on 0.0.0.0 (so `admin.token` is
#    required) over that ledger. curl checks that the API refuses calls without the token and that the static UI
#    shell loads without it; scripts/ui-browser-driver.py then takes one Chromium tab through the UI over the
#    DevTools protocol (token form, the problems — the default view —, overview, the store checks' write matrix, a
#    store check and its write, route, field, comparison, window picker, classification filter, mark as noise, a deep
#    link, a problem's status set in the page and kept after a reload, the Cut-over page with each route's target,
#    one route's own from the cutover.routes below), checking the DOM of each view and saving a screenshot.
# 3. The loopback path: `tapcompare ui` (no token) and `chromium --dump-dom` after the script has rendered
#    (problems, overview, route, the Cut-over view).
# 4. The self-contained HTML report, opened from a file.
# 5. A gRPC call (`report-demo --grpc`, a ledger of its own): its comparison in the UI and in the HTML report.
# Exits non-zero on the first failed check. Only chromium's own start-up failures are retried.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shots=${1:-bench/results/ui}
mkdir -p "$shots"
shots=$(cd "$shots" && pwd)

log() { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null 2>&1 || {
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  }
fi

log "building"
# shellcheck disable=SC2086
swift build ${SWIFT_FLAGS:-} --product tapcompare >"$repo/.build-ui-test.log" 2>&1 || { tail -30 "$repo/.build-ui-test.log"; fail "build failed"; }
# shellcheck disable=SC2086
swift build ${SWIFT_FLAGS:-} --product tapcompare-bench >"$repo/.build-ui-test.log" 2>&1 || { tail -30 "$repo/.build-ui-test.log"; fail "build failed"; }
rm -f "$repo/.build-ui-test.log"
# shellcheck disable=SC2086
bin=$(swift build ${SWIFT_FLAGS:-} --show-bin-path)

work=$(mktemp -d /tmp/tapcompare-ui.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -z "${KEEP_UI_WORK:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT INT TERM

log "seeding a ledger with known contents"
"$bin/tapcompare-bench" report-demo --ledger "sqlite:$work/demo.sqlite"
checked=0
check() {  # check WHAT CONDITION...: counts a passed check, fails with WHAT otherwise
  local what=$1; shift
  "$@" || fail "$what"
  checked=$((checked + 1))
}

# --- the admin listener of `serve`, off loopback, with a token -------------------------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
admin_port=$(free_port)
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
cat >"$work/serve.yml" <<YAML
listen: 127.0.0.1:0
legacy: http://127.0.0.1:9
ledger:
  url: sqlite:$work/demo.sqlite
  spool_dir: $work/spool
admin:
  listen: 0.0.0.0:$admin_port
  token: $token
routes:
  - route: GET /api/v1/comments/{id}
cutover:
  routes:
    "GET /api/v1/comments/{id}": { max_regression_rate: 0.0005, min_comparisons: 5000, max_latency_ratio: 1.5 }
YAML
log "starting tapcompare serve, admin listener on 0.0.0.0:$admin_port with admin.token"
"$bin/tapcompare" serve --config "$work/serve.yml" >"$work/serve.out" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$admin_port"
for _ in $(seq 1 150); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/serve.out" >&2; fail "tapcompare serve exited"; }
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/serve.out" >&2; fail "the admin listener did not come up"; }

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "the API answers without the token" [ "$(status "$base/api/v1/overview")" = 401 ]
check "the API refuses a wrong token" [ "$(status -H 'Authorization: Bearer wrong' "$base/api/v1/overview")" = 401 ]
check "the API refuses the token" [ "$(status -H "Authorization: Bearer $token" "$base/api/v1/overview")" = 200 ]
check "an annotation is accepted without the token" [ "$(status -X POST -d '{"route":"r","field":"$.x"}' "$base/api/v1/annotations")" = 401 ]
check "the static UI shell needs the token" [ "$(status "$base/ui")" = 200 ]
check "the UI script needs the token" [ "$(status "$base/ui/app.js")" = 200 ]
log "curl: $checked checks on the token passed"

log "driving chromium through the UI (DevTools protocol)"
python3 scripts/ui-browser-driver.py "$base" "$token" "$shots" "$work" | tee "$work/driver.out"
browser_checks=$(grep -o '[0-9]* checks passed' "$work/driver.out" | grep -o '^[0-9]*')
checked=$((checked + browser_checks))

# --- `tapcompare ui` on loopback, no token: the DOM chromium dumps once the script has rendered ----------------
# start_ui NAME LEDGER: `tapcompare ui` over LEDGER on a free loopback port; sets ui_base to its URL.
start_ui() {
  local name=$1 ledger=$2
  "$bin/tapcompare" ui --ledger "$ledger" --listen 127.0.0.1:0 >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  ui_base=""
  for _ in $(seq 1 100); do
    ui_base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.out" 2>/dev/null | head -n 1 || true)
    [ -n "$ui_base" ] && break
    sleep 0.1
  done
  [ -n "$ui_base" ] || { cat "$work/$name.err" >&2; fail "tapcompare ui ($ledger) did not report its port"; }
}
log "starting tapcompare ui on a free loopback port (no token)"
start_ui ui "sqlite:$work/demo.sqlite"

# dump NAME URL EXPECTED...: chromium --dump-dom with virtual time, so the page's fetches finish before the dump;
# one retry when chromium itself fails (exit status or an empty dump), never when an expected string is missing.
dump() {
  local name=$1 url=$2
  shift 2
  for attempt in 1 2; do
    # --no-sandbox: the sandbox needs user namespaces, unavailable when run as root in a container.
    if timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run \
        --disable-extensions --disable-background-networking --user-data-dir="$work/dump-profile-$attempt" \
        --virtual-time-budget=15000 --dump-dom "$url" >"$work/$name.html" 2>/dev/null && [ -s "$work/$name.html" ]; then
      break
    fi
    [ "$attempt" = 2 ] && fail "$name: chromium could not load $url twice"
    log "$name: chromium failed; retrying once"
  done
  for expected in "$@"; do
    grep -qF -- "$expected" "$work/$name.html" || {
      python3 -c 'import sys; t = open(sys.argv[1]).read(); print(t[t.find("<main>"):][:3000])' "$work/$name.html" >&2
      fail "$name ($url): expected to find: $expected"
    }
    checked=$((checked + 1))
  done
  log "$name: $# checks passed"
}
# The problems open by default; the driver accepted the $.score problem above, in the same ledger.
dump loopback-problems "$ui_base/ui" 'data-state="ready"' 'data-view="problems"' '<span id="problem-count" class="bad">5 problems</span>' \
  '<span id="count-accepted">1 accepted</span>' 'data-field="$.comments[*].author.handle" data-shape="null in candidate (string)"'
dump loopback-overview "$ui_base/ui#/overview" 'data-state="ready"' 'id="mismatch-rate">31.43%</div>' '<code>PUT /api/v1/comments/{id}</code>'
dump loopback-route "$ui_base/ui#/routes/$(python3 -c 'import urllib.parse; print(urllib.parse.quote("GET /api/v1/comments/{id}", safe=""))')" \
  'data-state="ready"' 'id="route-rate">5.00%</span>' 'data-field="$.replies"'
dump loopback-cutover "$ui_base/ui#/cutover?since=all" 'data-state="ready"' 'data-view="cutover"' '<table id="verdicts">' \
  'data-route="GET /api/v1/comments/{id}" data-status="not_ready"' '<li class="blocker">blocked by'

log "the HTML report, opened from a file"
"$bin/tapcompare" report --ledger "sqlite:$work/demo.sqlite" --format html --output "$work/static-report.html"
if grep -Eio '(src|href)="https?://[^"]*"' "$work/static-report.html" | head -n 1 | grep -q .; then fail "the HTML report references an external URL"; fi
dump report "file://$work/static-report.html" \
  'id="mismatch-rate">31.43%</div>' '<code>$.request_id</code>' '<mark data-path="/score"><span class="jn">4</span></mark>' \
  'aria-label="Latency percentiles per route, legacy against candidate"' \
  '<section id="store-checks"><h2>Store checks</h2>' '<table class="store-matrix" data-write-route="POST /api/v1/comments">' \
  '<section id="problems"><h2>'
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run \
  --user-data-dir="$work/shot-profile" --window-size=1400,1000 --screenshot="$shots/report.png" \
  "file://$work/static-report.html" >/dev/null 2>&1 || fail "report: screenshot failed"

# --- a gRPC call (issue 18), in a ledger of its own so the figures above stay as documented -------------------
log "a gRPC call: the comparison view and the HTML report"
grpc_id=$("$bin/tapcompare-bench" report-demo --grpc --ledger "sqlite:$work/grpc.sqlite" | grep -o 'comparison [0-9a-f-]*' | cut -d' ' -f2)
[ -n "$grpc_id" ] || fail "report-demo --grpc printed no comparison id"
start_ui grpc-ui "sqlite:$work/grpc.sqlite"
# Each side headed with its gRPC and HTTP status, each message as JSON beside its size on the wire, the redacted
# field redacted.
grpc_expected=('<p class="grpc-status">gRPC 0 OK · HTTP 200' '<p class="grpc-status">gRPC 5 NOT_FOUND · HTTP 200'
  'grpc-message <code>comment 7 not found</code>' 'message 0 · 41 bytes' 'Looks good to me' '[REDACTED]' '(no messages)')
dump grpc-comparison "$ui_base/ui#/comparisons/$grpc_id" 'data-state="ready"' "${grpc_expected[@]}"
"$bin/tapcompare" report --ledger "sqlite:$work/grpc.sqlite" --format html --output "$work/grpc-static-report.html"
dump grpc-report "file://$work/grpc-static-report.html" "${grpc_expected[@]}"
for page in grpc-comparison grpc-report; do
  check "$page: the redacted e-mail is not shown" bash -c "! grep -q 'ada@example.com' '$work/$page.html'"
done

log "all $checked checks passed; screenshots in $shots/"
