#!/usr/bin/env bash
# Benchmarks TapCompare's data plane against nginx's `mirror` directive, with wrk.
#
#   bench/proxy.sh                 # 10 s per scenario, 64 connections
#   DURATION=20 CONNECTIONS=64 bench/proxy.sh
#   SCENARIOS=tls bench/proxy.sh   # only the TLS scenarios (plain: only the plain ones; default all)
#   KEEP_WORK=1 bench/proxy.sh     # keep the scratch directory (configurations, tapcompare.log of every run)
#
# Legacy and candidates are one nginx (bench/nginx/upstreams.conf) serving a fixed 2 KB JSON body; the slow
# candidate answers 200 ms late. Scenarios: legacy direct; nginx reverse proxy + mirror; tapcompare at sample
# rate 0 and 1.0; and both proxies again with the slow candidate. Each proxy runs one worker / event loop
# pinned to core 1; wrk and the upstreams share core 0. Results: bench/results/proxy.md.
#
# TLS scenarios (certificates made by openssl for the run): legacy direct over https; tapcompare in front of an
# https legacy (rate 0), of an https legacy and candidate (rate 1.0), and with TLS on its own listener in front
# of a plain legacy. wrk keeps its connections alive, so these measure TLS records on pooled connections, not
# handshakes. Results: bench/results/proxy-tls.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-all}
LEGACY=18081 CANDIDATE=18082 SLOW=18083 LEGACY_TLS=18084 NGINX_PORT=18090 TAP_PORT=18100 ADMIN_PORT=18101

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light wrk openssl
fi
runs() { [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = "$1" ]; }

WORK=$(mktemp -d /tmp/tapcompare-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/tmp"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pidfile in "$WORK"/*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
    sleep 0.3
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK (logs: tapcompare.log)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A fixed 2 KB JSON document.
python3 - "$WORK/www/item.json" <<'PY'
import json, sys
doc = {"id": 8812, "author": {"id": 17, "name": "Ada"}, "text": "", "tags": ["a", "b", "c"], "replies": []}
doc["text"] = "x" * (2048 - len(json.dumps(doc, separators=(",", ":"))))
open(sys.argv[1], "w").write(json.dumps(doc, separators=(",", ":")))
PY
chmod 644 "$WORK/www/item.json"

# A CA and a server certificate for 127.0.0.1 / localhost, for the https upstream and the TLS listener.
(
    cd "$WORK"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=TapCompare bench CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out server.pem 2>/dev/null
    chmod 644 ca.pem server.pem server.key
)

render() { # template, listen, candidate port
    sed -e "s#@WORK@#$WORK#g" -e "s#@LEGACY@#$LEGACY#g" -e "s#@CANDIDATE@#${3:-$CANDIDATE}#g" \
        -e "s#@SLOW@#$SLOW#g" -e "s#@LEGACY_TLS@#$LEGACY_TLS#g" -e "s#@LISTEN@#${2:-0}#g" "$ROOT/bench/nginx/$1"
}

echo "== building release binaries"
(cd "$ROOT" && swift build -c release --product tapcompare >/dev/null 2>&1 || true)
(cd "$ROOT" && swift build -c release --product tapcompare-bench)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)

render upstreams.conf > "$WORK/upstreams.conf"
taskset -c 0 nginx -p "$WORK" -c "$WORK/upstreams.conf"
sleep 0.5
curl -sf "http://127.0.0.1:$LEGACY/item" -o /dev/null

wait_port() { # port[, scheme]
    for _ in $(seq 1 100); do curl -s -k -o /dev/null "${2:-http}://127.0.0.1:$1/item" && return 0; sleep 0.1; done
    echo "port $1 did not answer" >&2; return 1
}

start_tapcompare() { # sample rate, candidate port[, legacy URL, candidate URL, extra serve arguments...]
    local legacy_url=${3:-http://127.0.0.1:$LEGACY} candidate_url=${4:-http://127.0.0.1:$2}
    if [ -x "$BIN/tapcompare" ] && "$BIN/tapcompare" serve --help >/dev/null 2>&1; then
        RUNNER="tapcompare serve"
        # Run from the scratch directory so anything serve writes next to itself (e.g. its spool) goes there.
        (cd "$WORK" && exec taskset -c 1 "$BIN/tapcompare" serve --listen "127.0.0.1:$TAP_PORT" --legacy "$legacy_url" \
            --candidate "$candidate_url" --sample-rate "$1" --admin "127.0.0.1:$ADMIN_PORT" \
            --ledger "sqlite:$WORK/ledger-$1-$2.sqlite" "${@:5}" >>"$WORK/tapcompare.log" 2>&1) &
    elif [ -n "${3:-}${5:-}" ]; then
        echo "the TLS scenarios need the tapcompare binary (swift build -c release --product tapcompare)" >&2
        return 1
    else
        RUNNER="tapcompare-bench proxy (ProxyServer, counting sink)"
        taskset -c 1 "$BIN/tapcompare-bench" proxy --listen "127.0.0.1:$TAP_PORT" --legacy "http://127.0.0.1:$LEGACY" \
            --candidate "http://127.0.0.1:$2" --sample-rate "$1" --threads 1 >"$WORK/tapcompare.log" 2>&1 &
    fi
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    wait_port "$TAP_PORT" "${TAP_SCHEME:-http}"
}
stop_tapcompare() { kill "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; }

start_nginx_mirror() { # candidate port
    render mirror-proxy.conf "$NGINX_PORT" "$1" > "$WORK/mirror-$1.conf"
    taskset -c 1 nginx -p "$WORK" -c "$WORK/mirror-$1.conf"
    wait_port "$NGINX_PORT"
}
stop_nginx_mirror() { kill "$(cat "$WORK/mirror-$NGINX_PORT.pid")" 2>/dev/null || true; sleep 0.5; }

declare -A RPS P50 P99 ERRORS
to_ms() { # wrk latency like 612.00us / 1.23ms / 1.02s -> ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
measure() { # name, port[, scheme]
    local out="$WORK/$1.txt" url="${3:-http}://127.0.0.1:$2/item"
    taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null
    taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$out"
    RPS[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    P50[$1]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    P99[$1]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    ERRORS[$1]=$( (grep -E "Non-2xx|Socket errors" "$out" || true) | tr -s ' ' | paste -sd ';' -)
    printf "%-28s %10s req/s  p50 %8s ms  p99 %8s ms  %s\n" "$1" "${RPS[$1]}" "${P50[$1]}" "${P99[$1]}" "${ERRORS[$1]}"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== measuring ($DURATION s per scenario, $CONNECTIONS connections; load average $LOAD_BEFORE)"
if runs tls; then
    cat > "$WORK/upstream-tls.yml" <<YAML
upstream_tls:
  legacy: { ca_file: $WORK/ca.pem }
  candidate: { ca_file: $WORK/ca.pem }
YAML
    cat > "$WORK/listener-tls.yml" <<YAML
tls: { certificate: $WORK/server.pem, key: $WORK/server.key }
YAML
    HTTPS_LEGACY="https://127.0.0.1:$LEGACY_TLS"
    measure "legacy direct, https" "$LEGACY_TLS" https
    start_tapcompare 0 "$CANDIDATE" "$HTTPS_LEGACY" "" --config "$WORK/upstream-tls.yml"
    measure "tapcompare 0, https legacy" "$TAP_PORT"; stop_tapcompare
    start_tapcompare 1.0 "$LEGACY_TLS" "$HTTPS_LEGACY" "$HTTPS_LEGACY" --config "$WORK/upstream-tls.yml"
    measure "tapcompare 1.0, https both" "$TAP_PORT"; stop_tapcompare
    TAP_SCHEME=https start_tapcompare 0 "$CANDIDATE" "" "" --config "$WORK/listener-tls.yml"
    measure "tapcompare 0, TLS listener" "$TAP_PORT" https; stop_tapcompare
    TLS_RESULT="$ROOT/bench/results/proxy-tls.md"
    {
        echo "# Proxy benchmark: TLS"
        echo
        echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), \`SCENARIOS=tls DURATION=$DURATION CONNECTIONS=$CONNECTIONS bench/proxy.sh\`."
        echo "Same setup as proxy.md (wrk and nginx on core 0, tapcompare serve on core 1); ECDSA P-256 certificates, TLS 1.3."
        echo "wrk's connections are kept alive: the figures are TLS records on pooled connections, not handshakes."
        echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)."
        echo
        echo "| scenario | requests/s | p50 (ms) | p99 (ms) | errors |"
        echo "|---|---:|---:|---:|---|"
        for name in "legacy direct, https" "tapcompare 0, https legacy" "tapcompare 1.0, https both" "tapcompare 0, TLS listener"; do
            echo "| $name | ${RPS[$name]} | ${P50[$name]} | ${P99[$name]} | ${ERRORS[$name]:-} |"
        done
    } > "$TLS_RESULT"
    echo
    cat "$TLS_RESULT"
fi
runs plain || exit 0

measure "legacy direct" "$LEGACY"
start_nginx_mirror "$CANDIDATE"; measure "nginx mirror" "$NGINX_PORT"; stop_nginx_mirror
start_tapcompare 0 "$CANDIDATE"; measure "tapcompare rate 0" "$TAP_PORT"; stop_tapcompare
start_tapcompare 1.0 "$CANDIDATE"; measure "tapcompare rate 1.0" "$TAP_PORT"; stop_tapcompare
start_nginx_mirror "$SLOW"; measure "nginx mirror, slow cand." "$NGINX_PORT"; stop_nginx_mirror
start_tapcompare 1.0 "$SLOW"; measure "tapcompare 1.0, slow cand." "$TAP_PORT"; stop_tapcompare

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
R_FAST=$(ratio "${RPS[tapcompare rate 1.0]}" "${RPS[nginx mirror]}")
R_SLOW=$(ratio "${RPS[tapcompare 1.0, slow cand.]}" "${RPS[nginx mirror, slow cand.]}")
P99_SHIFT=$(ratio "${P99[tapcompare 1.0, slow cand.]}" "${P99[tapcompare rate 1.0]}")
BAR1=$(awk -v r="$R_FAST" 'BEGIN { print (r >= 0.7) ? "met" : "NOT met" }')
BAR2=$(awk -v r="$P99_SHIFT" 'BEGIN { print (r <= 1.10) ? "met" : "NOT met" }')

RESULT="$ROOT/bench/results/proxy.md"
mkdir -p "$(dirname "$RESULT")"
{
    echo "# Proxy benchmark"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), \`DURATION=$DURATION CONNECTIONS=$CONNECTIONS bench/proxy.sh\`."
    echo "wrk: 1 thread, $CONNECTIONS connections, ${DURATION} s after ${WARMUP} s warm-up, pinned to core 0 with the upstream nginx;"
    echo "each proxy: one worker / event loop pinned to core 1. Body: 2 KB JSON. tapcompare ran as: $RUNNER."
    echo "Load average before / after the run: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on the machine skew absolute figures)."
    echo
    echo "| scenario | requests/s | p50 (ms) | p99 (ms) | errors |"
    echo "|---|---:|---:|---:|---|"
    for name in "legacy direct" "nginx mirror" "tapcompare rate 0" "tapcompare rate 1.0" "nginx mirror, slow cand." "tapcompare 1.0, slow cand."; do
        echo "| $name | ${RPS[$name]} | ${P50[$name]} | ${P99[$name]} | ${ERRORS[$name]:-} |"
    done
    echo
    echo "| ratio | value | bar |"
    echo "|---|---:|---|"
    echo "| tapcompare 1.0 / nginx mirror (req/s) | $R_FAST | ≥ 0.70: $BAR1 |"
    echo "| tapcompare / nginx, slow candidate (req/s) | $R_SLOW | |"
    echo "| tapcompare p99 slow / fast candidate | $P99_SHIFT | ≤ 1.10: $BAR2 |"
} > "$RESULT"
echo
cat "$RESULT"
