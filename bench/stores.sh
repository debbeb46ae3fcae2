#!/usr/bin/env bash
# Store checks (issue 14) under full write load: checks/s against a local PostgreSQL, Redis (a hash and a
# change-data-capture stream) and memcached, and the legacy path's latency with and without store checks.
#
#   bench/stores.sh                          # 20 s per scenario, 16 connections, 2 rounds
#   DURATION=10 CONNECTIONS=16 ROUNDS=1 bench/stores.sh
#   KEEP_WORK=1 bench/stores.sh              # keep the scratch directory (configurations, logs)
#   TAPCOMPARE=.build/debug/tapcompare bench/stores.sh   # a binary of your own instead of the release build
#   STORES_MAX_IN_FLIGHT=2 RESULT=/tmp/stores.md bench/stores.sh   # checks' bound (default: serve's, 16); results file
#   STORES_MAX_PER_SECOND=1000 bench/stores.sh  # the checks' budget (default: serve's, stores_max_per_second)
#
# Two comment services (bench/stores/comment_service.py, Python + asyncpg, in the venv .build-bench-venv made
# from bench/stores/requirements.txt) really write every comment where the real ones do: a PostgreSQL row, a
# Redis hash, a Redis stream event and a memcached entry; legacy to its stores (database `tapcompare`, Redis db 1),
# the candidate to its sister stores (database `sister`, Redis db 2; its own ids, from 10^12 on). wrk posts JSON
# comments (bench/stores/post-comment.lua). Scenarios, measured in the same run:
#   legacy direct            wrk -> legacy service
#   mirrored writes          wrk -> tapcompare serve (POST mirrored at rate 1.0, HTTP answers compared) -> both
#   mirrored + store checks  the same, and after every write within the checks' budget (stores_max_per_second) 4
#                            store checks (postgres row, redis hash, memcached entry, redis_stream event), each
#                            reading both sides
#   store checks, no budget  the same with stores_max_per_second: unlimited (every write checked), once
# The two proxy scenarios alternate for ROUNDS rounds. Pinning as in bench/proxy.sh: tapcompare alone on core 1;
# wrk, both services, PostgreSQL, Redis and memcached on core 0. The CPU each used in the measured window is
# reported, so a saturated core (which would move latency whatever tapcompare does) shows.
# Then a paced pass: the same two proxy scenarios with each connection pausing between requests, so the offered
# load is about half what the proxy carried at full load; there latency shows the checks' cost without a saturated core.
# Bar (issue 14): store checks move legacy's p99 through the proxy by at most 10 %.
# Results: bench/results/stores.md. Everything listens on 127.0.0.1 only and stops with the script.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-2}
LEGACY=18281 CANDIDATE=18282 TAP_PORT=18290 ADMIN_PORT=18291

if ! command -v wrk >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get install -y -qq wrk || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk; }
fi
VENV="$ROOT/.build-bench-venv"
if ! "$VENV/bin/python" -c "import asyncpg, uvloop" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$ROOT/bench/stores/requirements.txt"
fi

WORK=$(mktemp -d /tmp/tapcompare-stores-bench.XXXXXX)
chmod 755 "$WORK"  # the postgres user must reach the cluster directory inside it
mkdir -p "$WORK/rules"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$ROOT/scripts/kv-servers.sh" stop "$WORK/kv" >/dev/null 2>&1 || true
    "$ROOT/scripts/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ -n "${TAPCOMPARE:-}" ]; then
    TAPCOMPARE=$(cd "$(dirname "$TAPCOMPARE")" && pwd)/$(basename "$TAPCOMPARE")
    BUILD="the binary $TAPCOMPARE"
else
    echo "== building the release binary"
    (cd "$ROOT" && swift build -c release --product tapcompare)
    TAPCOMPARE=$(cd "$ROOT" && swift build -c release --show-bin-path)/tapcompare
    BUILD="release build"
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_BEFORE=$(uptime)
# What else keeps the machine busy (other builds skew absolute figures).
OTHERS=$(top -b -n 1 -o %CPU -w 200 | sed -n '8,12p' | awk '{ printf "%s%s %s%%", (NR > 1 ? ", " : ""), $12, $9 }')

echo "== starting PostgreSQL, Redis and memcached on core 0"
PG_URL=$(taskset -c 0 "$ROOT/scripts/postgres.sh" start "$WORK/pg" | sed -n 's/^TAPCOMPARE_TEST_POSTGRES_URL=//p')
taskset -c 0 "$ROOT/scripts/kv-servers.sh" start "$WORK/kv" >/dev/null
REDIS_PORT=$(cat "$WORK/kv/redis.port")
MEMCACHED=127.0.0.1:$(cat "$WORK/kv/memcached.port")
SISTER_URL=${PG_URL/\/tapcompare\?//sister?}
psql -q "$PG_URL" -c "CREATE DATABASE sister" >/dev/null

echo "== starting the comment services on core 0"
service() { # role, port, postgres URL, redis db, first id
    taskset -c 0 "$VENV/bin/python" "$ROOT/bench/stores/comment_service.py" --role "$1" --port "$2" --postgres "$3" \
        --redis "127.0.0.1:$REDIS_PORT/$4" --memcached "$MEMCACHED" --first-id "$5" >>"$WORK/$1.log" 2>&1 &
    PIDS+=("$!")
}
service legacy "$LEGACY" "$PG_URL" 1 1
LEGACY_PID=$!
service candidate "$CANDIDATE" "$SISTER_URL" 2 1000000000000
CANDIDATE_PID=$!
wait_post() { # port
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"post_id":1,"body":"ready?"}' \
            "http://127.0.0.1:$1/api/v1/comments" && return 0
        sleep 0.1
    done
    echo "nothing answers a write on port $1 (see $WORK/*.log)" >&2; return 1
}
wait_post "$LEGACY"; wait_post "$CANDIDATE"

# Rules: each side's ids and clocks are its own.
cat > "$WORK/rules/rules.yml" <<YAML
rules:
  - route: POST /api/v1/comments
    ignore: [\$.id, \$.created_at]
  - store: comment_events
    ignore: [\$.data.comment_id]
YAML
cat > "$WORK/mirror.yml" <<YAML
routes:
  - route: POST /api/v1/comments
    mirror_writes: true
YAML
cat > "$WORK/checks.yml" <<YAML
${STORES_MAX_IN_FLIGHT:+stores_max_in_flight: $STORES_MAX_IN_FLIGHT}
${STORES_MAX_PER_SECOND:+stores_max_per_second: $STORES_MAX_PER_SECOND}
stores:
  comments_db:    { kind: postgres,     legacy: "$PG_URL", candidate: "$SISTER_URL" }
  comments_hash:  { kind: redis,        legacy: "redis://127.0.0.1:$REDIS_PORT/1", candidate: "redis://127.0.0.1:$REDIS_PORT/2" }
  comments_cache: { kind: memcached,    legacy: "$MEMCACHED", candidate: "$MEMCACHED" }
  comment_events: { kind: redis_stream, legacy: "redis://127.0.0.1:$REDIS_PORT/1", candidate: "redis://127.0.0.1:$REDIS_PORT/2", stream: comment-events }
routes:
  - route: POST /api/v1/comments
    mirror_writes: true
    verify:
      stores:
        - { store: comments_db, query: "SELECT post_id, author_id, body, score FROM comments WHERE id = \$1", params: [\$.id] }
        - { store: comments_hash, key: "comment:{\$.id}" }
        - { store: comments_cache, key: "comment:{\$.id}" }
        - { store: comment_events, match: { path: \$.data.comment_id, equals: \$.id }, within: 2s }
YAML

# The same checks without a budget: every write checked, to show what the budget holds back.
{ grep -v '^stores_max_per_second:' "$WORK/checks.yml"; echo "stores_max_per_second: unlimited"; } > "$WORK/checks-unlimited.yml"

RUN=0
start_tapcompare() { # config file
    RUN=$((RUN + 1))
    (cd "$WORK" && exec taskset -c 1 "$TAPCOMPARE" serve --config "$1" --listen "127.0.0.1:$TAP_PORT" \
        --legacy "http://127.0.0.1:$LEGACY" --candidate "http://127.0.0.1:$CANDIDATE" --sample-rate 1.0 \
        --admin "127.0.0.1:$ADMIN_PORT" --rules "$WORK/rules" --ledger "sqlite:$WORK/ledger-$RUN.sqlite" \
        >>"$WORK/tapcompare-$RUN.log" 2>&1) &
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$ADMIN_PORT/metrics" && return 0; sleep 0.1; done
    echo "tapcompare did not start (see $WORK/tapcompare-$RUN.log)" >&2; return 1
}
stop_tapcompare() { kill "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; }

# Sums a counter's samples from the admin /metrics whose labels contain every given label="value".
metric() { # name [label=value ...]
    curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | python3 -c '
import re, sys
name, want = sys.argv[1], sys.argv[2:]
total = 0.0
for line in sys.stdin:
    m = re.match(r"^([a-z_]+)(\{[^}]*\})?\s+(\S+)", line)
    if m and m.group(1) == name and all(w.split("=", 1)[0] + "=\"" + w.split("=", 1)[1] + "\"" in (m.group(2) or "") for w in want):
        total += float(m.group(3))
print(int(total))' "$@"
}

# Store checks that read both sides and compared them (skipped ones, e.g. queue full, are not counted).
compared_checks() {
    echo $(( $(metric tapcompare_store_checks_total result=match) + $(metric tapcompare_store_checks_total result=mismatch) \
        + $(metric tapcompare_store_checks_total result=missing_both) ))
}

# Waits until the store checks stop moving (queue drained), at most 30 s.
drain_checks() {
    local last=-1 now
    for _ in $(seq 1 60); do
        now=$(metric tapcompare_store_checks_total)
        [ "$now" = "$last" ] && return 0
        last=$now; sleep 0.5
    done
}

declare -A RPS P50 P99 ERRORS CHECKS_PS DETAIL CPU
# CPU time (user + system, in clock ticks) a process used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU of every process pinned to core 0 (services, stores, wrk, and anything else there) is the core's idle time.
core0_busy() { awk '$1 == "cpu0" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
to_ms() { # wrk latency like 612.00us / 1.23ms / 1.02s -> ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
measure() { # name, port, with metrics (0/1)
    local out="$WORK/$1.txt" url="http://127.0.0.1:$2/api/v1/comments" before=0 after
    taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/stores/post-comment.lua" "$url" >/dev/null
    [ "$3" = 1 ] && before=$(compared_checks)
    local tap0 legacy0 candidate0 core0
    tap0=$( [ "$3" = 1 ] && ticks "$TAP_PID" || echo 0); legacy0=$(ticks "$LEGACY_PID"); candidate0=$(ticks "$CANDIDATE_PID"); core0=$(core0_busy)
    taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/stores/post-comment.lua" "$url" >"$out"
    local hz; hz=$(getconf CLK_TCK)
    pct() { awk -v a="$1" -v b="$2" -v hz="$hz" -v d="$DURATION" 'BEGIN { printf "%.0f", (a - b) * 100 / (hz * d) }'; }
    CPU[$1]="tapcompare $( [ "$3" = 1 ] && pct "$(ticks "$TAP_PID")" "$tap0" || echo "–")% · legacy svc $(pct "$(ticks "$LEGACY_PID")" "$legacy0")%"
    CPU[$1]+=" · candidate svc $(pct "$(ticks "$CANDIDATE_PID")" "$candidate0")% · core 0 busy $(pct "$(core0_busy)" "$core0")%"
    RPS[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    P50[$1]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    P99[$1]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    ERRORS[$1]=$( (grep -E "Non-2xx|Socket errors" "$out" || true) | tr -s ' ' | paste -sd ';' -)
    CHECKS_PS[$1]=""
    if [ "$3" = 1 ]; then
        after=$(compared_checks)
        CHECKS_PS[$1]=$(awk -v a="$after" -v b="$before" -v d="$DURATION" 'BEGIN { printf "%.0f", (a - b) / d }')
    fi
    printf "%-34s %7s req/s  p50 %7s ms  p99 %7s ms  store checks/s %6s  %s  %s\n" \
        "$1" "${RPS[$1]}" "${P50[$1]}" "${P99[$1]}" "${CHECKS_PS[$1]:--}" "${CPU[$1]}" "${ERRORS[$1]}"
}
# After a proxy scenario: the checks' outcomes by store, once the queue drained.
tally() { # name
    drain_checks
    local store line=""
    for store in comments_db comments_hash comments_cache comment_events; do
        line+="$store: $(metric tapcompare_store_checks_total store=$store) checks ($(metric tapcompare_store_checks_total store=$store result=match) match, "
        line+="$(metric tapcompare_store_checks_total store=$store result=mismatch) mismatch, "
        line+="$(metric tapcompare_store_errors_total store=$store) read errors); "
    done
    DETAIL[$1]="mirrored $(metric tapcompare_mirrored_total); ${line}skipped: queue full $(metric tapcompare_store_checks_total result=skipped_queue_full), "
    DETAIL[$1]+="over budget $(metric tapcompare_store_checks_total result=skipped_budget), "
    DETAIL[$1]+="write refused $(metric tapcompare_store_checks_total result=skipped_write_failed), candidate failed $(metric tapcompare_store_checks_total result=skipped_candidate_failed), "
    DETAIL[$1]+="candidate not called $(metric tapcompare_store_checks_total result=skipped_candidate_not_called), no id $(metric tapcompare_store_checks_total result=skipped_no_value); "
    DETAIL[$1]+="ledger dropped $(metric tapcompare_ledger_dropped_total)"
}

echo "== measuring ($DURATION s per scenario after $WARMUP s warm-up, $CONNECTIONS connections, $ROUNDS rounds; load average $LOAD_BEFORE)"
measure "legacy direct" "$LEGACY" 0
NAMES=("legacy direct")
for round in $(seq 1 "$ROUNDS"); do
    start_tapcompare "$WORK/mirror.yml"
    measure "mirrored writes #$round" "$TAP_PORT" 1; tally "mirrored writes #$round"; stop_tapcompare
    start_tapcompare "$WORK/checks.yml"
    measure "mirrored + store checks #$round" "$TAP_PORT" 1; tally "mirrored + store checks #$round"; stop_tapcompare
    NAMES+=("mirrored writes #$round" "mirrored + store checks #$round")
done

start_tapcompare "$WORK/checks-unlimited.yml"
measure "store checks, no budget" "$TAP_PORT" 1; tally "store checks, no budget"; stop_tapcompare
NAMES+=("store checks, no budget")

# Paced pass: each of the CONNECTIONS connections pauses 2 × CONNECTIONS / (full-load requests/s) between requests.
MRPS_FULL=$(printf "%s\n" "${RPS[mirrored writes #1]}")
export WRK_DELAY_MS=$(awk -v c="$CONNECTIONS" -v r="$MRPS_FULL" 'BEGIN { printf "%.0f", (r > 0) ? 2000 * c / r : 50 }')
echo "== paced pass: $WRK_DELAY_MS ms between requests on each connection"
start_tapcompare "$WORK/mirror.yml"
measure "paced: mirrored writes" "$TAP_PORT" 1; tally "paced: mirrored writes"; stop_tapcompare
start_tapcompare "$WORK/checks.yml"
measure "paced: mirrored + store checks" "$TAP_PORT" 1; tally "paced: mirrored + store checks"; stop_tapcompare
WRK_DELAY_MS_USED=$WRK_DELAY_MS
unset WRK_DELAY_MS
NAMES+=("paced: mirrored writes" "paced: mirrored + store checks")
PACED_SHIFT=$(awk -v a="${P99[paced: mirrored + store checks]}" -v b="${P99[paced: mirrored writes]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')

median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
M_P99=() C_P99=() M_RPS=() C_RPS=() C_CPS=()
for round in $(seq 1 "$ROUNDS"); do
    M_P99+=("${P99[mirrored writes #$round]}"); C_P99+=("${P99[mirrored + store checks #$round]}")
    M_RPS+=("${RPS[mirrored writes #$round]}"); C_RPS+=("${RPS[mirrored + store checks #$round]}")
    C_CPS+=("${CHECKS_PS[mirrored + store checks #$round]}")
done
MP99=$(median "${M_P99[@]}") CP99=$(median "${C_P99[@]}") MRPS=$(median "${M_RPS[@]}") CRPS=$(median "${C_RPS[@]}") CPS=$(median "${C_CPS[@]}")
# The same ratio round by round (each round's two scenarios ran back to back, under the same conditions).
PAIRED=()
for round in $(seq 1 "$ROUNDS"); do
    PAIRED+=("$(awk -v a="${P99[mirrored + store checks #$round]}" -v b="${P99[mirrored writes #$round]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')")
done
PAIRED_MEDIAN=$(median "${PAIRED[@]}")
SHIFT=$(awk -v a="$CP99" -v b="$MP99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
RSHIFT=$(awk -v a="$CRPS" -v b="$MRPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
BAR=$(awk -v r="$SHIFT" 'BEGIN { print (r != "n/a" && r <= 1.10) ? "met" : "NOT met" }')
PAIRED_BAR=$(awk -v r="$PAIRED_MEDIAN" 'BEGIN { print (r <= 1.10) ? "met" : "NOT met" }')

RESULT=${RESULT:-$ROOT/bench/results/stores.md}
mkdir -p "$(dirname "$RESULT")"
pgversion=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1 | sed 's|/usr/lib/postgresql/||; s|/bin||')
{
    echo "# Store checks benchmark"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), \`DURATION=$DURATION CONNECTIONS=$CONNECTIONS ROUNDS=$ROUNDS${STORES_MAX_IN_FLIGHT:+ STORES_MAX_IN_FLIGHT=$STORES_MAX_IN_FLIGHT} bench/stores.sh\`, $BUILD."
    echo "wrk: 1 thread, $CONNECTIONS connections posting JSON comments, ${DURATION} s after ${WARMUP} s warm-up, on core 0 with the legacy and"
    echo "candidate comment services (Python asyncio + asyncpg, each write: a PostgreSQL row, a Redis hash, a Redis stream event,"
    echo "a memcached entry) and PostgreSQL $pgversion, Redis and memcached; tapcompare serve alone on core 1. Sample rate 1.0: every write is"
    echo "mirrored; with store checks each write within the budget (stores_max_per_second: ${STORES_MAX_PER_SECOND:-the default}) is followed by 4 checks"
    echo "(row, hash, cache entry, CDC event), each reading both sides."
    echo "Machine before the run: \`$UPTIME_BEFORE\`; busiest processes then: $OTHERS."
    echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg). Other jobs on the machine skew absolute figures; the two proxy"
    echo "scenarios alternate so both see the same conditions."
    echo
    echo "| scenario | requests/s | p50 (ms) | p99 (ms) | store checks/s (compared) | CPU (% of one core) | errors |"
    echo "|---|---:|---:|---:|---:|---|---|"
    for name in "${NAMES[@]}"; do
        echo "| $name | ${RPS[$name]} | ${P50[$name]} | ${P99[$name]} | ${CHECKS_PS[$name]:-} | ${CPU[$name]} | ${ERRORS[$name]:-} |"
    done
    echo
    echo "| figure (median of $ROUNDS rounds) | value | bar |"
    echo "|---|---:|---|"
    echo "| store checks/s at full write load (both sides read and compared; skipped ones not counted) | $CPS | |"
    echo "| legacy p99 with / without store checks | $SHIFT ($CP99 / $MP99 ms) | ≤ 1.10: $BAR |"
    echo "| legacy p99 with / without store checks, round by round (median) | $PAIRED_MEDIAN (rounds: ${PAIRED[*]}) | ≤ 1.10: $PAIRED_BAR |"
    echo "| requests/s with / without store checks | $RSHIFT ($CRPS / $MRPS) | |"
    echo "| no budget (stores_max_per_second: unlimited): legacy p99 with / without store checks | $(awk -v a="${P99[store checks, no budget]}" -v b="$MP99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') (${P99[store checks, no budget]} / $MP99 ms) | |"
    echo "| paced ($WRK_DELAY_MS_USED ms pauses): legacy p99 with / without store checks | $PACED_SHIFT (${P99[paced: mirrored + store checks]} / ${P99[paced: mirrored writes]} ms) | |"
    echo
    echo "Checks by store, once each run's queue drained (all runs' checks, warm-up included):"
    echo
    for name in "${NAMES[@]}"; do
        if [ -n "${DETAIL[$name]:-}" ]; then echo "- $name: ${DETAIL[$name]}"; fi
    done
} > "$RESULT"
echo
cat "$RESULT"
