#!/usr/bin/env bash
# Many proxies, one ledger (issue 21): three `tapcompare serve` processes, each with its own `ledger.instance` and
# spool, all writing to one PostgreSQL started for the run, under load from wrk (one wrk per instance: the even
# split a round-robin client gives). Reports per instance and in total the requests/s served, the comparisons/s
# made and the ledger rows/s written, and — as the reference for what this PostgreSQL can ingest — a raw `COPY` of
# the same rows into plain tables of the same database, measured in the same run. Writes bench/results/fleet.md.
#
#   bench/fleet.sh                              # 30 s of load after 3 s of warm-up, 16 connections per instance
#   DURATION=60 CONNECTIONS=32 bench/fleet.sh
#   CANDIDATE_BODY=different bench/fleet.sh     # every comparison a mismatch: samples and a discrepancy stored
#   SAMPLE_RATE=0.1 bench/fleet.sh              # mirror a tenth of the requests (default 1)
#   TAPCOMPARE=.build/debug/tapcompare DURATION=3 RESULT=/tmp/fleet.md bench/fleet.sh
#                                               # smoke run with an existing binary (debug figures mean nothing)
#   KEEP_WORK=1 bench/fleet.sh                  # keep the scratch directory (configurations, serve logs)
#
# Pinning (taskset, as bench/proxy.sh): SERVE_CPUS (default 1) runs the three serve processes, CLIENT_CPUS
# (default 0) runs wrk and the nginx upstreams; PostgreSQL is not pinned. On a 2-core machine the three proxies
# share one core, so per-instance figures are a third of one core each: the totals are the point.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
SAMPLE_RATE=${SAMPLE_RATE:-1}
CANDIDATE_BODY=${CANDIDATE_BODY:-same}
SERVE_CPUS=${SERVE_CPUS:-1}
CLIENT_CPUS=${CLIENT_CPUS:-0}
RESULT=${RESULT:-$ROOT/bench/results/fleet.md}
LEGACY=18281 CANDIDATE=18282
INSTANCES=(fleet-a fleet-b fleet-c)
PROXY_PORTS=(18290 18291 18292)
ADMIN_PORTS=(18295 18296 18297)

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light wrk
fi

WORK=$(mktemp -d /tmp/tapcompare-fleet.XXXXXX)
chmod 755 "$WORK"  # the postgres user must reach the cluster directory inside it
mkdir -p "$WORK/www" "$WORK/tmp"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/upstreams.pid" ] && kill "$(cat "$WORK/upstreams.pid")" 2>/dev/null || true
    "$ROOT/scripts/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ -n "${TAPCOMPARE:-}" ]; then
    BIN=$(cd "$ROOT" && realpath "$TAPCOMPARE")
else
    echo "== building the release binary"
    (cd "$ROOT" && swift build -c release --scratch-path .build-release --product tapcompare >&2)
    BIN=$ROOT/.build-release/release/tapcompare
fi

# A fixed 2 KB JSON document; the candidate's is the same, or differs in one field.
python3 - "$WORK/www" "$CANDIDATE_BODY" <<'PY'
import json, sys
doc = {"id": 8812, "author": {"id": 17, "name": "Ada"}, "text": "", "tags": ["a", "b", "c"], "replies": []}
doc["text"] = "x" * (2048 - len(json.dumps(doc, separators=(",", ":"))))
open(sys.argv[1] + "/item.json", "w").write(json.dumps(doc, separators=(",", ":")))
if sys.argv[2] == "different":
    doc["author"]["name"] = "Grace"
open(sys.argv[1] + "/item-candidate.json", "w").write(json.dumps(doc, separators=(",", ":")))
PY
chmod 644 "$WORK"/www/*.json

sed -e "s#@WORK@#$WORK#g" -e "s#@LEGACY@#$LEGACY#g" -e "s#@CANDIDATE@#$CANDIDATE#g" \
    "$ROOT/bench/nginx/fleet-upstreams.conf" > "$WORK/upstreams.conf"
taskset -c "$CLIENT_CPUS" nginx -p "$WORK" -c "$WORK/upstreams.conf"

PG_URL=$("$ROOT/scripts/postgres.sh" start "$WORK/pg" | sed -n 's/^TAPCOMPARE_TEST_POSTGRES_URL=//p')
PG_VERSION=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1 | sed 's|/usr/lib/postgresql/||; s|/bin||')
sql() { psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

wait_ok() { # url
    for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "$1 did not answer" >&2; return 1
}
wait_ok "http://127.0.0.1:$LEGACY/item"

echo "== starting ${#INSTANCES[@]} serve processes on one PostgreSQL ledger (binary: $BIN)"
for i in "${!INSTANCES[@]}"; do
    name=${INSTANCES[$i]}
    mkdir -p "$WORK/$name/rules"
    cat > "$WORK/$name/tapcompare.yml" <<YAML
listen: 127.0.0.1:${PROXY_PORTS[$i]}
admin:
  listen: 127.0.0.1:${ADMIN_PORTS[$i]}
legacy: http://127.0.0.1:$LEGACY
candidate: http://127.0.0.1:$CANDIDATE
sample_rate: $SAMPLE_RATE
rules: $WORK/$name/rules
ledger:
  url: $PG_URL
  instance: $name
  spool_dir: $WORK/$name/spool
YAML
    (cd "$WORK/$name" && exec taskset -c "$SERVE_CPUS" "$BIN" serve --config "$WORK/$name/tapcompare.yml" >"$WORK/$name/serve.log" 2>&1) &
    PIDS+=("$!")
done
for i in "${!INSTANCES[@]}"; do wait_ok "http://127.0.0.1:${ADMIN_PORTS[$i]}/readyz"; done

metric() { # admin port, metric name: the sum of its series
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.0f", s }'
}
rows() { # instance
    sql -c "SELECT count(*) FROM tapcompare.comparisons WHERE instance = '$1'"
}
declare -A MADE0 ROWS0 MADE1 ROWS1 RPS
snapshot() { # 0|1
    for i in "${!INSTANCES[@]}"; do
        name=${INSTANCES[$i]}
        eval "MADE$1[$name]=$(metric "${ADMIN_PORTS[$i]}" tapcompare_comparisons_total)"
        eval "ROWS$1[$name]=$(rows "$name")"
    done
}
now() { date +%s.%N; }
load() { # seconds, output prefix
    local pids=()
    for i in "${!INSTANCES[@]}"; do
        taskset -c "$CLIENT_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$1s" "http://127.0.0.1:${PROXY_PORTS[$i]}/item" \
            > "$WORK/$2-${INSTANCES[$i]}.txt" &
        pids+=("$!")
    done
    wait "${pids[@]}"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== warm-up ${WARMUP} s, then ${DURATION} s: ${CONNECTIONS} connections per instance, sample rate $SAMPLE_RATE, candidate body $CANDIDATE_BODY"
load "$WARMUP" warmup
snapshot 0
T0=$(now)
load "$DURATION" run
T1=$(now)
snapshot 1
for name in "${INSTANCES[@]}"; do RPS[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/run-$name.txt"); done

# Drain: every comparison made is a row (or counted dropped) before the reference runs on the same rows.
echo "== waiting for the ledger writers to drain"
DRAIN_START=$(now)
for _ in $(seq 1 600); do
    pending=0
    for i in "${!INSTANCES[@]}"; do
        name=${INSTANCES[$i]}
        made=$(metric "${ADMIN_PORTS[$i]}" tapcompare_comparisons_total)
        dropped=$(metric "${ADMIN_PORTS[$i]}" tapcompare_ledger_dropped_total)
        [ "$(rows "$name")" -ge $((made - dropped)) ] || pending=1
    done
    [ "$pending" = 0 ] && break
    sleep 0.1
done
DRAIN=$(awk -v a="$DRAIN_START" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
declare -A DROPPED SPOOLED
for i in "${!INSTANCES[@]}"; do
    DROPPED[${INSTANCES[$i]}]=$(metric "${ADMIN_PORTS[$i]}" tapcompare_ledger_dropped_total)
    SPOOLED[${INSTANCES[$i]}]=$(metric "${ADMIN_PORTS[$i]}" tapcompare_ledger_spooled_total)
done

# The reference: the same rows, exported, then COPYed into plain tables (same columns and indexes, no partitions,
# no rollups, no conflict checks) in the same database, comparisons and their discrepancies in one transaction.
echo "== raw COPY reference"
TOTAL_ROWS=$(sql -c "SELECT count(*) FROM tapcompare.comparisons")
TOTAL_DISCREPANCIES=$(sql -c "SELECT count(*) FROM tapcompare.discrepancies")
sql -c "\\copy (SELECT * FROM tapcompare.comparisons) TO '$WORK/comparisons.copy'"
sql -c "\\copy (SELECT * FROM tapcompare.discrepancies) TO '$WORK/discrepancies.copy'"
sql <<'SQL'
CREATE SCHEMA copyref;
CREATE TABLE copyref.comparisons (LIKE tapcompare.comparisons INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE copyref.discrepancies (LIKE tapcompare.discrepancies INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
SQL
C0=$(now)
sql -1 -c "\\copy copyref.comparisons FROM '$WORK/comparisons.copy'" -c "\\copy copyref.discrepancies FROM '$WORK/discrepancies.copy'"
C1=$(now)
COPY_SECONDS=$(awk -v a="$C0" -v b="$C1" 'BEGIN { printf "%.3f", b - a }')
ROW_BYTES=$(sql -c "SELECT coalesce(round(avg(pg_column_size(c.*))), 0) FROM tapcompare.comparisons c")
TABLE_BYTES=$(sql -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent IN ('tapcompare.comparisons'::regclass, 'tapcompare.discrepancies'::regclass)")

SECONDS_RUN=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
mkdir -p "$(dirname "$RESULT")"
{
    echo "# Fleet benchmark: three proxies, one PostgreSQL ledger"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)): \`DURATION=$DURATION CONNECTIONS=$CONNECTIONS SAMPLE_RATE=$SAMPLE_RATE CANDIDATE_BODY=$CANDIDATE_BODY bench/fleet.sh\`,"
    echo "binary \`${BIN#"$ROOT"/}\`. Three \`tapcompare serve\` (own \`ledger.instance\` and spool, default ledger settings) pinned to CPU $SERVE_CPUS;"
    echo "one wrk per instance (1 thread, $CONNECTIONS connections) and the nginx upstreams (2 KB JSON) pinned to CPU $CLIENT_CPUS;"
    echo "PostgreSQL $PG_VERSION, a local throwaway cluster with default settings (\`synchronous_commit=on\`), unpinned."
    echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; figures move with it)."
    echo
    echo "| instance | requests/s | comparisons/s made | ledger rows/s written | spooled | dropped |"
    echo "|---|---:|---:|---:|---:|---:|"
    total_rps=0; total_made=0; total_rows=0
    for name in "${INSTANCES[@]}"; do
        made=$((MADE1[$name] - MADE0[$name])); written=$((ROWS1[$name] - ROWS0[$name]))
        total_rps=$((total_rps + ${RPS[$name]:-0})); total_made=$((total_made + made)); total_rows=$((total_rows + written))
        echo "| $name | ${RPS[$name]} | $(per_s "$made" "$SECONDS_RUN") | $(per_s "$written" "$SECONDS_RUN") | ${SPOOLED[$name]} | ${DROPPED[$name]} |"
    done
    echo "| **total** | $total_rps | $(per_s "$total_made" "$SECONDS_RUN") | $(per_s "$total_rows" "$SECONDS_RUN") | | |"
    echo
    echo "Rows written during the ${SECONDS_RUN} s window; after it the writers drained in ${DRAIN} s."
    echo "Ledger after the run: $TOTAL_ROWS comparisons, $TOTAL_DISCREPANCIES discrepancies, $TABLE_BYTES in their partitions"
    echo "(with indexes), $ROW_BYTES bytes per \`comparisons\` row on average (\`pg_column_size\`)."
    echo
    echo "| reference | rows | seconds | comparisons/s |"
    echo "|---|---:|---:|---:|"
    echo "| raw \`COPY\` of the same comparisons and discrepancies into plain tables (one transaction) | $TOTAL_ROWS | $COPY_SECONDS | $(per_s "$TOTAL_ROWS" "$COPY_SECONDS") |"
    echo
    echo "The ledger's total rows/s over the COPY reference: $(awk -v a="$(per_s "$total_rows" "$SECONDS_RUN")" -v b="$(per_s "$TOTAL_ROWS" "$COPY_SECONDS")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
    echo "(the ledger writes while serving traffic, with rollups and idempotent inserts; COPY is the database alone)."
    echo "Where the rows/s written equal the comparisons/s made and nothing was spooled or dropped, the ledger kept up"
    echo "and the proxies were the limit: the ratio is then headroom, not the ledger's ceiling."
} > "$RESULT"
echo
cat "$RESULT"
