#!/usr/bin/env bash
# Drives the review web UI in a real headless browser (Debian's `chromium`) over a ledger with known contents.
#
#   scripts/ui-browser-test.sh [SCREENSHOT_DIR]      (default bench/results/ui)
#
# It builds `tapcompare` and `tapcompare-bench`, writes a small SQLite ledger with known figures
# (`tapcompare-bench report-demo`, see bench/Sources/tapcompare-bench/ReportDemoLedger.swift), serves it with
# `tapcompare ui` on a free loopback port, then for every page: dumps the DOM the browser built and checks it for
# the expected routes, fields and values, and saves a screenshot. "Mark as noise" is exercised through the API the
# button posts to, then checked on the re-rendered page. The self-contained HTML report is checked the same way,
# opened from a file with the network disabled. Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shots=${1:-bench/results/ui}
mkdir -p "$shots"

log() { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null 2>&1 || {
    $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
  }
fi

log "building"
swift build --product tapcompare >/dev/null
swift build --product tapcompare-bench >/dev/null
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/tapcompare-ui.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP_UI_WORK:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT INT TERM

log "seeding a ledger with known contents"
"$bin/tapcompare-bench" report-demo --ledger "sqlite:$work/demo.sqlite"

log "starting tapcompare ui on a free loopback port"
"$bin/tapcompare" ui --ledger "sqlite:$work/demo.sqlite" --listen 127.0.0.1:0 >"$work/ui.out" 2>"$work/ui.err" &
server_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/ui.out" 2>/dev/null | head -n 1 || true)
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/ui.err" >&2; fail "tapcompare ui exited"; }
  sleep 0.1
done
[ -n "$base" ] || fail "tapcompare ui did not report its port"
log "UI at $base/ui"

browser() {
  # --no-sandbox: the sandbox needs user namespaces, unavailable when run as root in a container.
  timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-extensions \
    --no-first-run --disable-background-networking --virtual-time-budget=5000 "$@" 2>/dev/null
}

checked=0
# page NAME URL EXPECTED...: dumps the DOM, checks each expected string, saves NAME.png.
page() {
  local name=$1 url=$2
  shift 2
  browser --dump-dom "$url" >"$work/$name.html" || fail "$name: chromium could not load $url"
  for expected in "$@"; do
    grep -qF -- "$expected" "$work/$name.html" || { echo "--- $name: the page's main content ---" >&2; python3 -c 'import sys; t = open(sys.argv[1]).read(); print(t[t.find("<main>"):][:3000])' "$work/$name.html" >&2; echo >&2; fail "$name ($url): expected to find: $expected"; }
    checked=$((checked + 1))
  done
  browser --window-size=1400,1000 --screenshot="$repo/$shots/$name.png" "$url" >/dev/null || fail "$name: screenshot failed"
  log "$name: $# checks passed, screenshot $shots/$name.png"
}

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

page overview "$base/ui" \
  'id="mismatch-rate">31.43%</div>' '132 of 420 compared requests' \
  '<code>GET /api/v1/posts/{id}/comments</code>' '<code>GET /api/v1/comments/{id}</code>' \
  '<code>POST /api/v1/comments</code>' '<code>PUT /api/v1/comments/{id}</code>' \
  '25 comparisons are missing' 'aria-label="Mismatch rate over time"' \
  '<td class="n bad"><strong>5.00%</strong></td>' '<td class="n">47.0 / 71.0 / 77.0</td>' '0.50×'

comments=$(enc 'GET /api/v1/comments/{id}')
posts=$(enc 'GET /api/v1/posts/{id}/comments')
page route-comments "$base/ui/route?route=$comments" \
  'id="route-rate">5.00%</span>' 'data-field="$.score"' 'data-field="$.updated_at"' \
  '10 regression' '2 race' 'class="mark-noise"'
page route-posts "$base/ui/route?route=$posts" \
  'id="route-rate">100%</span>' 'data-field="$.request_id"' 'data-field="$.comments[*].author.handle"' \
  '<strong>Probably noise:</strong> <code>$.request_id</code>' '      - "$.request_id"'
page route-races "$base/ui/route?route=$comments&classification=race" \
  'data-field="$.updated_at"' '<option value="race" selected="">race</option>'
grep -qF 'data-field="$.score"' "$work/route-races.html" && fail "route-races: the race filter still lists \$.score"

page field-score "$base/ui/field?route=$comments&field=$(enc '$.score')&kind=value_changed" \
  '<span class="jn">4.5</span>' '<mark data-path="/score"><span class="jn">4.5</span></mark>' \
  '<mark data-path="/score"><span class="jn">4</span></mark>' 'Latest occurrences'

id=$(curl -fsS "$base/api/v1/routes/$posts/fields/$(enc '$.comments[*].author.handle')/examples?limit=1" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["examples"][0]["comparison_id"])')
[ -n "$id" ] || fail "no example comparison id from the API"
page comparison "$base/ui/comparisons/$id" \
  '<mark data-path="/comments/1/author/handle"><span class="js">"bob"</span></mark>' \
  '<mark data-path="/comments/1/author/handle"><span class="jn">null</span></mark>' 'type_changed' 'authorization: [REDACTED]'

log "mark as noise: POST /api/v1/annotations (what the button sends), then the page shows it"
answer=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"route":"GET /api/v1/posts/{id}/comments","field":"$.request_id","kind":"value_changed","classification":"noise","created_by":"ui-browser-test"}' \
  "$base/api/v1/annotations")
echo "$answer" | grep -qF '"rule":"rules:\n  - route: \"GET /api/v1/posts/{id}/comments\"' || fail "annotation answer has no rule: $answer"
page route-posts-marked "$base/ui/route?route=$posts" '<span class="pill noise">marked noise</span>'

log "the HTML report, opened from a file"
"$bin/tapcompare" report --ledger "sqlite:$work/demo.sqlite" --format html --output "$work/static-report.html"
if grep -Eio '(src|href)="https?://[^"]*"' "$work/static-report.html" | head -n 1 | grep -q .; then fail "the HTML report references an external URL"; fi
page report "file://$work/static-report.html" \
  'id="mismatch-rate">31.43%</div>' '<code>$.request_id</code>' '<mark data-path="/score"><span class="jn">4</span></mark>' \
  'aria-label="Latency percentiles per route, legacy against candidate"'

log "all $checked checks passed; screenshots in $shots/"
