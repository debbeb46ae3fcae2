#!/usr/bin/env bash
# Benchmark of `tapcompare report` and the review API over a large Postgres ledger.
#
#   bench/report.sh [COMPARISONS]        (default 1000000; about 3 discrepancies per comparison)
#
# Starts a throwaway PostgreSQL (scripts/postgres.sh) unless TAPCOMPARE_BENCH_POSTGRES_URL names one, generates
# the ledger in SQL (`tapcompare-bench report-generate`), then times, with a release build:
#   - `tapcompare report` (whole process: start, queries, rendering), whole ledger and --since 24h, json and html;
#   - every /api/v1 call of `tapcompare ui` and its static shell, with curl (time to the last byte), 7 runs each;
# and writes bench/results/report.md. Bars (issue 5): report < 2 s, each API call < 300 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
count=${1:-1000000}
runs=7
out=bench/results/report.md

log() { printf '==> %s\n' "$*" >&2; }

log "release build"
# The same scratch path as bench/ledger.sh: one release build serves both benchmarks.
swift build -c release --scratch-path .build-release --product tapcompare >/dev/null
swift build -c release --scratch-path .build-release --product tapcompare-bench >/dev/null
bin=$(swift build -c release --scratch-path .build-release --show-bin-path)

pg_dir=""
ui_pid=""
cleanup() {
  if [ -n "$ui_pid" ]; then kill "$ui_pid" 2>/dev/null || true; wait "$ui_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; fi
}
trap cleanup EXIT INT TERM

url=${TAPCOMPARE_BENCH_POSTGRES_URL:-}
if [ -z "$url" ]; then
  pg_dir=$(mktemp -d /tmp/tapcompare-report-bench.XXXXXX)
  log "starting PostgreSQL in $pg_dir"
  url=$(scripts/postgres.sh start "$pg_dir" | sed -n 's/^TAPCOMPARE_TEST_POSTGRES_URL=//p')
fi

psql_url=$(echo "$url" | sed 's/?sslmode=[a-z]*//')
held=$(psql "$psql_url" -Atc "SELECT count(*) FROM tapcompare.comparisons" 2>/dev/null || echo 0)
gen_seconds="(reused)"
if [ "${held:-0}" -ge "$count" ]; then
  log "the ledger already holds $held comparisons: not generating"
else
  log "generating $count comparisons"
  gen_start=$(date +%s.%N)
  "$bin/tapcompare-bench" report-generate --ledger "$url" --comparisons "$count" >&2
  gen_seconds="$(echo "$(date +%s.%N) - $gen_start" | bc | cut -d. -f1) s"
fi

# stats LABEL CMD...: runs CMD $runs times (after one warm-up), prints "| LABEL | min | median | max |" in ms.
stats() {
  local label=$1
  shift
  "$@" >/dev/null
  local times=()
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" '{ a[NR] = $1 } END { printf "| %s | %d | %d | %d |\n", label, a[1], a[int((NR + 1) / 2)], a[NR] }'
}

# curl_stats LABEL URL [curl args]: time to the last byte, as curl measures it.
curl_stats() {
  local label=$1 target=$2
  shift 2
  curl -fsS -o /dev/null "$@" "$target"
  local times=()
  for _ in $(seq 1 "$runs"); do
    times+=("$(curl -fsS -o /dev/null -w '%{time_total}' "$@" "$target")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" '{ a[NR] = $1 * 1000 } END { printf "| %s | %.0f | %.0f | %.0f |\n", label, a[1], a[int((NR + 1) / 2)], a[NR] }'
}

log "timing tapcompare report"
report_rows=$(
  stats '`report --format json` (whole ledger)' "$bin/tapcompare" report --ledger "$url" --format json
  stats '`report` table (whole ledger)' "$bin/tapcompare" report --ledger "$url"
  stats '`report --format html` (whole ledger, with example bodies)' "$bin/tapcompare" report --ledger "$url" --format html
  stats '`report --format json --since 24h`' "$bin/tapcompare" report --ledger "$url" --format json --since 24h
  stats '`report --route "GET /api/v1/comments/{id}"`' "$bin/tapcompare" report --ledger "$url" --format json --route 'GET /api/v1/comments/{id}'
)

log "starting tapcompare ui"
"$bin/tapcompare" ui --ledger "$url" --listen 127.0.0.1:0 >"/tmp/report-bench-ui.$$" 2>&1 &
ui_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "/tmp/report-bench-ui.$$" | head -n 1 || true)
  [ -n "$base" ] && break
  sleep 0.1
done
rm -f "/tmp/report-bench-ui.$$"
[ -n "$base" ] || { echo "tapcompare ui did not start" >&2; exit 1; }

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
route=$(enc 'GET /api/v1/comments/{id}')
field=$(enc '$.score')
id=$(curl -fsS "$base/api/v1/routes/$route/fields/$field/examples?limit=1&since=24h" | python3 -c 'import json, sys; print(json.load(sys.stdin)["examples"][0]["comparison_id"])')

log "timing the API"
api_rows=$(
  for window in "since=24h" "since=all"; do
    curl_stats "GET /api/v1/overview?$window" "$base/api/v1/overview?$window"
    curl_stats "GET /api/v1/routes?$window" "$base/api/v1/routes?$window"
    curl_stats "GET /api/v1/routes/{route}/fields?$window" "$base/api/v1/routes/$route/fields?$window"
    curl_stats "GET /api/v1/routes/{route}/fields/{field}/examples?$window" "$base/api/v1/routes/$route/fields/$field/examples?$window"
  done
  curl_stats "GET /api/v1/comparisons/{id}" "$base/api/v1/comparisons/$id"
  curl_stats "GET /api/v1/annotations" "$base/api/v1/annotations"
  curl_stats "POST /api/v1/annotations" "$base/api/v1/annotations" -X POST -H 'Content-Type: application/json' \
    -d '{"route":"GET /api/v1/comments/{id}","field":"$.request_id","classification":"noise","created_by":"bench"}'
  # The UI is a static shell rendering from /api/v1 in the browser: its pages cost the API calls above.
  curl_stats "GET /ui (static shell)" "$base/ui"
  curl_stats "GET /ui/app.js" "$base/ui/app.js"
)

counts=$(psql "$psql_url" -Atc "SELECT (SELECT count(*) FROM tapcompare.comparisons) || ' comparisons, ' || (SELECT count(*) FROM tapcompare.discrepancies) || ' discrepancies'" 2>/dev/null || echo "$count comparisons")

{
  echo "# Report and review API benchmark"
  echo
  echo "Generated by \`bench/report.sh $count\` on $(date -u +%Y-%m-%d) — $(nproc) cores, shared with other builds."
  echo "Ledger: PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n 1) (throwaway cluster, default settings), $counts over 7 days"
  echo "(generation: $gen_seconds). Release build. Milliseconds over $runs runs after one warm-up."
  echo "Load average when the timings ended: $(cut -d' ' -f1-3 /proc/loadavg) (other helpers were building on the same 2 cores)."
  echo
  echo "Bars (issue 5): \`report\` under 2 s; each UI API call under 300 ms."
  echo
  echo "## \`tapcompare report\` (whole process)"
  echo
  echo "| command | min ms | median ms | max ms |"
  echo "|---|--:|--:|--:|"
  echo "$report_rows"
  echo
  echo "## Review API and pages (\`tapcompare ui\`, curl time to last byte)"
  echo
  echo "| call | min ms | median ms | max ms |"
  echo "|---|--:|--:|--:|"
  echo "$api_rows"
} >"$out"
cat "$out"
