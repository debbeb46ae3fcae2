#!/usr/bin/env bash
# Benchmarks TapCompare's data plane against nginx (plain reverse proxy, and reverse proxy + `mirror`), with wrk.
#
#   bench/proxy.sh                          # every scenario group below, 10 s per measurement
#   DURATION=20 CONNECTIONS="32 256" BODIES="comments item" bench/proxy.sh
#   ROUNDS=5 SCENARIOS=plain bench/proxy.sh # the plain group's rows repeated in 5 interleaved rounds (default 3)
#   SCENARIOS=plain bench/proxy.sh          # one group: plain, tls, syscalls or idle (default all)
#   IDLE_CONNECTIONS=10000 SCENARIOS=idle bench/proxy.sh
#   KEEP_WORK=1 bench/proxy.sh              # keep the scratch directory (configurations, tapcompare.log of every run)
#
# Legacy and candidates are one nginx (bench/nginx/upstreams.conf) serving two JSON bodies: /comments, a listing
# of 20 comment objects (what a comment API answers, the body the bars are judged on), and /item, one object
# whose size is mostly one long string (the body of earlier runs). The slow candidate answers 200 ms late. Each
# proxy runs one worker / event loop pinned to core 1; wrk and the upstreams share core 0.
#
# plain: legacy direct; nginx as a plain reverse proxy; nginx reverse proxy + mirror; tapcompare at sample rate 0
#   (a plain reverse proxy) and 1.0; both mirroring proxies again with the slow candidate; every body at every
#   connection count, and the ratios issue 16 sets as bars. Results: bench/results/proxy.md.
#   The group runs ROUNDS times, every row once per round in the same order, so a drift of the machine (another
#   job, the upstreams' core) reaches every row alike; the table gives each row's median over the rounds with its
#   range, the ratios are those of the medians, and the bars' ratios are also listed round by round.
# syscalls: `strace -c` attached to each proxy while wrk sends /comments over 32 connections; system calls per
#   request (strace slows the proxy, so only the per-request counts mean anything). bench/results/proxy-syscalls.md.
# idle: resident memory of each proxy before and after IDLE_CONNECTIONS clients have made one request each and
#   stay connected, idle (bench/clients/idle_connections.py). bench/results/proxy-idle.md.
# tls: legacy direct over https; tapcompare in front of an https legacy (rate 0), of an https legacy and candidate
#   (rate 1.0), and with TLS on its own listener in front of a plain legacy (certificates made by openssl for the
#   run). wrk keeps its connections alive, so these measure TLS records on pooled connections, not handshakes.
#   Results: bench/results/proxy-tls.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32 256}
BODIES=${BODIES:-comments item}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-all}
ROUNDS=${ROUNDS:-3}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
LEGACY=18081 CANDIDATE=18082 SLOW=18083 LEGACY_TLS=18084 NGINX_PORT=18090 TAP_PORT=18100 ADMIN_PORT=18101

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! command -v openssl >/dev/null \
    || ! command -v strace >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light libnginx-mod-http-echo wrk openssl strace
fi
runs() { [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = "$1" ]; }
# 10,000 idle clients need as many descriptors in the proxy and in the client, plus the upstream pools.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

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

# The two bodies, generated from a fixed seed so every run serves the same bytes (bench/clients/bodies.py).
python3 "$ROOT/bench/clients/bodies.py" "$WORK/www"
chmod 644 "$WORK"/www/*.json
declare -A BODY_BYTES=([comments]=$(stat -c %s "$WORK/www/comments.json") [item]=$(stat -c %s "$WORK/www/item.json"))

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

echo "== building the release binary"
# SCRATCH_PATH: another build folder (e.g. .build-release, which bench/diff.sh also uses) instead of .build.
SCRATCH=(--scratch-path "${SCRATCH_PATH:-.build}")
(cd "$ROOT" && swift build -c release "${SCRATCH[@]}" --product tapcompare)
BIN=$(cd "$ROOT" && swift build -c release "${SCRATCH[@]}" --show-bin-path)

render upstreams.conf > "$WORK/upstreams.conf"
taskset -c 0 nginx -p "$WORK" -c "$WORK/upstreams.conf"
sleep 0.5
curl -sf "http://127.0.0.1:$LEGACY/item" -o /dev/null
curl -sf "http://127.0.0.1:$LEGACY/comments" -o /dev/null

wait_port() { # port[, scheme]
    for _ in $(seq 1 100); do curl -s -k -o /dev/null "${2:-http}://127.0.0.1:$1/item" && return 0; sleep 0.1; done
    echo "port $1 did not answer" >&2; return 1
}

start_tapcompare() { # sample rate, candidate port[, legacy URL, candidate URL, extra serve arguments...]
    if (exec 3<>"/dev/tcp/127.0.0.1/$TAP_PORT") 2>/dev/null; then echo "port $TAP_PORT is taken by another process" >&2; exit 1; fi
    local legacy_url=${3:-http://127.0.0.1:$LEGACY} candidate_url=${4:-http://127.0.0.1:$2}
    # Run from the scratch directory so anything serve writes next to itself (e.g. its spool) goes there.
    (cd "$WORK" && exec taskset -c 1 "$BIN/tapcompare" serve --listen "127.0.0.1:$TAP_PORT" --legacy "$legacy_url" \
        --candidate "$candidate_url" --sample-rate "$1" --admin "127.0.0.1:$ADMIN_PORT" \
        --ledger "sqlite:$WORK/ledger-$1-$2-r${ROUND:-1}.sqlite" "${@:5}" >>"$WORK/tapcompare.log" 2>&1) &
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    wait_port "$TAP_PORT" "${TAP_SCHEME:-http}"
    # Another process answering on the port would be measured instead (serve exits when it cannot bind).
    kill -0 "$TAP_PID" 2>/dev/null || { echo "tapcompare serve exited at start (port $TAP_PORT taken?): see $WORK/tapcompare.log" >&2; exit 1; }
}
stop_tapcompare() { kill "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; }

start_nginx() { # template (plain-proxy.conf or mirror-proxy.conf)[, candidate port]
    render "$1" "$NGINX_PORT" "${2:-$CANDIDATE}" > "$WORK/nginx-$NGINX_PORT.conf"
    taskset -c 1 nginx -p "$WORK" -c "$WORK/nginx-$NGINX_PORT.conf"
    wait_port "$NGINX_PORT"
    NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx-$NGINX_PORT.pid")" | head -1)
}
stop_nginx() {
    local pid
    pid=$(cat "$WORK/nginx-$NGINX_PORT.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

declare -A RPS P50 P99 ERRORS CPU
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # pid -> user + system time of the process and all its threads, in clock ticks
    # Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
to_ms() { # wrk latency like 612.00us / 1.23ms / 1.02s -> ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
measure() { # name, port, body (comments or item), connections[, scheme[, proxy pid]]
    # Stored under the row's key (the last measurement) and under the key with the round (for the medians).
    # With the proxy's pid, its CPU time per request over the measured run is kept too (CPU): the proxy is pinned to a
    # core it has to itself, so this is what a request costs it, steadier than requests/s when the machine is shared.
    local key="$1|$3|$4" url="${5:-http}://127.0.0.1:$2/$3" pid=${6:-}
    local out ticks=""
    out="$WORK/measure-$(echo "$key|r${ROUND:-1}" | tr -c 'A-Za-z0-9.' '_').txt"
    taskset -c 0 wrk -t1 -c"$4" -d"${WARMUP}s" "$url" >/dev/null
    [ -n "$pid" ] && ticks=$(cpu_ticks "$pid")
    taskset -c 0 wrk -t1 -c"$4" -d"${DURATION}s" --latency "$url" >"$out"
    if [ -n "$pid" ]; then
        CPU[$key]=$(awk -v t="$(( $(cpu_ticks "$pid") - ticks ))" -v hz="$CLK_TCK" -v n="$(awk '/requests in/ { print $1 }' "$out")" \
            'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n }')
        CPU[$key|r${ROUND:-1}]=${CPU[$key]}
    fi
    RPS[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    P50[$key]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    P99[$key]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    ERRORS[$key]=$( (grep -E "Non-2xx|Socket errors" "$out" || true) | tr -s ' ' | paste -sd ';' -)
    RPS[$key|r${ROUND:-1}]=${RPS[$key]} P50[$key|r${ROUND:-1}]=${P50[$key]} P99[$key|r${ROUND:-1}]=${P99[$key]}
    printf "%-28s %-9s c=%-4s %10s req/s  p50 %8s ms  p99 %8s ms  %8s µs CPU/req  %s\n" "$1" "$3" "$4" "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" "${CPU[$key]:--}" "${ERRORS[$key]}"
}
median() { # numbers -> their median (the mean of the middle two for an even count)
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else { m = (v[NR / 2] + v[NR / 2 + 1]) / 2; if (m == int(m)) print m; else printf "%.2f", m } }'
}
per_round() { # array name, row key -> the row's values, one per round
    local -n values=$1
    local r
    for r in $(seq 1 "$ROUNDS"); do echo "${values[$2|r$r]}"; done
}
measure_all() { # name, port[, proxy pid]: every body at every connection count
    for body in $BODIES; do for c in $CONNECTIONS; do measure "$1" "$2" "$body" "$c" http "${3:-}"; done; done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
bar() { # value, ">=" or "<=", limit
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "n/a") print ""; else if ((op == ">=" && v + 0 >= l) || (op == "<=" && v + 0 <= l)) print "met"; else print "**not met**" }'
}
stamp() {
    local dirty=""
    git -C "$ROOT" diff --quiet HEAD -- Sources || dirty=" with uncommitted changes in Sources/"
    # The processor is named: the same code's ratios to nginx differ between machines (the code of b0f0557 gave
    # tapcompare 1.0 / nginx mirror 1.00 at 32 connections on one machine and 0.44 on an Intel Xeon), so a figure is
    # read with its machine.
    local cpu
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m), ${cpu:-unknown processor}), commit $(git -C "$ROOT" rev-parse --short HEAD)$dirty."
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== measuring ($DURATION s per measurement; connections: $CONNECTIONS; bodies: $BODIES; load average $LOAD_BEFORE)"
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
    TLS_CONNECTIONS=${CONNECTIONS%% *}
    measure "legacy direct, https" "$LEGACY_TLS" comments "$TLS_CONNECTIONS" https
    start_tapcompare 0 "$CANDIDATE" "$HTTPS_LEGACY" "" --config "$WORK/upstream-tls.yml"
    measure "tapcompare 0, https legacy" "$TAP_PORT" comments "$TLS_CONNECTIONS"; stop_tapcompare
    start_tapcompare 1.0 "$LEGACY_TLS" "$HTTPS_LEGACY" "$HTTPS_LEGACY" --config "$WORK/upstream-tls.yml"
    measure "tapcompare 1.0, https both" "$TAP_PORT" comments "$TLS_CONNECTIONS"; stop_tapcompare
    TAP_SCHEME=https start_tapcompare 0 "$CANDIDATE" "" "" --config "$WORK/listener-tls.yml"
    measure "tapcompare 0, TLS listener" "$TAP_PORT" comments "$TLS_CONNECTIONS" https; stop_tapcompare
    {
        echo "# Proxy benchmark: TLS"
        echo
        stamp
        echo "\`SCENARIOS=tls DURATION=$DURATION CONNECTIONS=\"$CONNECTIONS\" bench/proxy.sh\` (TLS rows use the first count, $TLS_CONNECTIONS)."
        echo "Same setup as proxy.md (wrk and nginx on core 0, tapcompare serve on core 1); ECDSA P-256 certificates, TLS 1.3;"
        echo "body: /comments (${BODY_BYTES[comments]} bytes). wrk's connections are kept alive: the figures are TLS records on pooled connections, not handshakes."
        echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)."
        echo
        echo "| scenario | requests/s | p50 (ms) | p99 (ms) | errors |"
        echo "|---|---:|---:|---:|---|"
        for name in "legacy direct, https" "tapcompare 0, https legacy" "tapcompare 1.0, https both" "tapcompare 0, TLS listener"; do
            key="$name|comments|$TLS_CONNECTIONS"
            echo "| $name | ${RPS[$key]} | ${P50[$key]} | ${P99[$key]} | ${ERRORS[$key]:-} |"
        done
    } > "$ROOT/bench/results/proxy-tls.md"
    echo; cat "$ROOT/bench/results/proxy-tls.md"
fi

if runs plain; then
    SCENARIO_NAMES=("legacy direct" "nginx proxy" "nginx mirror" "tapcompare 0" "tapcompare 1.0" "nginx mirror, slow cand." "tapcompare 1.0, slow cand.")
    for ROUND in $(seq 1 "$ROUNDS"); do
        echo "== round $ROUND of $ROUNDS"
        measure_all "legacy direct" "$LEGACY"
        start_nginx plain-proxy.conf; measure_all "nginx proxy" "$NGINX_PORT" "$NGINX_WORKER"; stop_nginx
        start_nginx mirror-proxy.conf "$CANDIDATE"; measure_all "nginx mirror" "$NGINX_PORT" "$NGINX_WORKER"; stop_nginx
        start_tapcompare 0 "$CANDIDATE"; measure_all "tapcompare 0" "$TAP_PORT" "$TAP_PID"; stop_tapcompare
        start_tapcompare 1.0 "$CANDIDATE"; measure_all "tapcompare 1.0" "$TAP_PORT" "$TAP_PID"; stop_tapcompare
        start_nginx mirror-proxy.conf "$SLOW"; measure_all "nginx mirror, slow cand." "$NGINX_PORT" "$NGINX_WORKER"; stop_nginx
        start_tapcompare 1.0 "$SLOW"; measure_all "tapcompare 1.0, slow cand." "$TAP_PORT" "$TAP_PID"; stop_tapcompare
    done
    # Each row's figures become its medians over the rounds; RANGE keeps the lowest and highest requests/s.
    declare -A RANGE
    for name in "${SCENARIO_NAMES[@]}"; do
        for body in $BODIES; do for c in $CONNECTIONS; do
            key="$name|$body|$c"
            mapfile -t rounds < <(per_round RPS "$key")
            RPS[$key]=$(median "${rounds[@]}" | awk '{ printf "%.0f", $1 }')
            RANGE[$key]=$(printf '%s\n' "${rounds[@]}" | sort -g | sed -n '1p;$p' | paste -sd '-' -)
            mapfile -t rounds < <(per_round P50 "$key"); P50[$key]=$(median "${rounds[@]}")
            mapfile -t rounds < <(per_round P99 "$key"); P99[$key]=$(median "${rounds[@]}")
            mapfile -t rounds < <(per_round CPU "$key" | grep .); CPU[$key]=$(median "${rounds[@]}")
        done; done
    done
    round_ratios() { # numerator row, denominator row, body, connections, RPS or P99 -> "r1 / r2 / ..."
        local r out=()
        for r in $(seq 1 "$ROUNDS"); do
            out+=("$(ratio "$(per_round "$5" "$1|$3|$4" | sed -n "${r}p")" "$(per_round "$5" "$2|$3|$4" | sed -n "${r}p")")")
        done
        local IFS=/; echo "${out[*]}" | sed 's#/# / #g'
    }

    {
        echo "# Proxy benchmark"
        echo
        stamp
        echo "\`ROUNDS=$ROUNDS DURATION=$DURATION CONNECTIONS=\"$CONNECTIONS\" BODIES=\"$BODIES\" SCENARIOS=plain bench/proxy.sh\`."
        echo "$ROUNDS rounds, every row once per round in the order of the table; each figure is the row's median over the rounds (requests/s: the range in brackets)."
        echo "wrk: 1 thread, ${DURATION} s after ${WARMUP} s warm-up per measurement, pinned to core 0 with the upstream nginx;"
        echo "each proxy: one worker / event loop pinned to core 1; tapcompare ran as \`tapcompare serve\` with an SQLite ledger."
        echo "Bodies: comments = a listing of 20 comment objects (${BODY_BYTES[comments]} bytes); item = one object, mostly one long string (${BODY_BYTES[item]} bytes)."
        echo "Load average before / after the run: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on the machine skew absolute figures)."
        echo
        echo "| scenario | body | connections | requests/s | p50 (ms) | p99 (ms) | proxy CPU per request (µs) | errors |"
        echo "|---|---|---:|---:|---:|---:|---:|---|"
        for name in "${SCENARIO_NAMES[@]}"; do
            for body in $BODIES; do for c in $CONNECTIONS; do
                key="$name|$body|$c"
                echo "| $name | $body | $c | ${RPS[$key]} (${RANGE[$key]}) | ${P50[$key]} | ${P99[$key]} | ${CPU[$key]:-} | ${ERRORS[$key]:-} |"
            done; done
        done
        echo
        echo "Proxy CPU per request: the proxy's user + system time (all its threads; nginx: its one worker) over the measured"
        echo "run, divided by the requests wrk completed. Each proxy has core 1 to itself, so this is a request's cost to it."
        echo
        echo "Ratios of the medians above; issue 16 sets its bars on the comments body."
        echo
        echo "| body | connections | tapcompare 0 / nginx proxy, req/s (bar ≥ 0.5) | tapcompare 0 / nginx proxy, p99 (bar ≤ 2.0) | tapcompare 1.0 / nginx mirror, req/s (bar ≥ 1.0) | slow / fast candidate, req/s (bar ≥ 0.90) | slow / fast candidate, p99 (bar ≤ 1.10) | nginx mirror / tapcompare 1.0, CPU per request (no bar; ≥ 1.0: tapcompare costs less) |"
        echo "|---|---:|---|---|---|---|---|---|"
        for body in $BODIES; do for c in $CONNECTIONS; do
            r1=$(ratio "${RPS[tapcompare 0|$body|$c]}" "${RPS[nginx proxy|$body|$c]}")
            r2=$(ratio "${P99[tapcompare 0|$body|$c]}" "${P99[nginx proxy|$body|$c]}")
            r3=$(ratio "${RPS[tapcompare 1.0|$body|$c]}" "${RPS[nginx mirror|$body|$c]}")
            r4=$(ratio "${RPS[tapcompare 1.0, slow cand.|$body|$c]}" "${RPS[tapcompare 1.0|$body|$c]}")
            r5=$(ratio "${P99[tapcompare 1.0, slow cand.|$body|$c]}" "${P99[tapcompare 1.0|$body|$c]}")
            r6=$(ratio "${CPU[nginx mirror|$body|$c]}" "${CPU[tapcompare 1.0|$body|$c]}")
            echo "| $body | $c | $r1 $(bar "$r1" ">=" 0.5) | $r2 $(bar "$r2" "<=" 2.0) | $r3 $(bar "$r3" ">=" 1.0) | $r4 $(bar "$r4" ">=" 0.90) | $r5 $(bar "$r5" "<=" 1.10) | $r6 |"
        done; done
        echo
        echo "The same ratios round by round (round 1 / round 2 / ...): the spread a single run can show."
        echo
        echo "| body | connections | tapcompare 0 / nginx proxy, req/s | tapcompare 0 / nginx proxy, p99 | tapcompare 1.0 / nginx mirror, req/s | slow / fast candidate, req/s | slow / fast candidate, p99 |"
        echo "|---|---:|---|---|---|---|---|"
        for body in $BODIES; do for c in $CONNECTIONS; do
            echo "| $body | $c | $(round_ratios "tapcompare 0" "nginx proxy" "$body" "$c" RPS) | $(round_ratios "tapcompare 0" "nginx proxy" "$body" "$c" P99) | $(round_ratios "tapcompare 1.0" "nginx mirror" "$body" "$c" RPS) | $(round_ratios "tapcompare 1.0, slow cand." "tapcompare 1.0" "$body" "$c" RPS) | $(round_ratios "tapcompare 1.0, slow cand." "tapcompare 1.0" "$body" "$c" P99) |"
        done; done
    } > "$ROOT/bench/results/proxy.md"
    echo; cat "$ROOT/bench/results/proxy.md"
fi

if runs syscalls; then
    # System calls per request: strace -c on every thread of the proxy while wrk sends load. strace stops the
    # proxy at every call, so its throughput here means nothing; the counts per request are what is compared.
    declare -A SYSCALLS REQUESTS
    trace() { # name, pid, port
        local out wrk_out="$WORK/strace-wrk.txt" strace_pid
        out="$WORK/strace-$(echo "$1" | tr -c 'A-Za-z0-9' '_').txt"
        taskset -c 0 wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$3/comments" >/dev/null
        strace -c -f -p "$2" -o "$out" 2>"$WORK/strace-attach.txt" &
        strace_pid=$!
        # Attached to every thread before the load starts (strace reports each attach on stderr).
        for _ in $(seq 1 100); do
            [ "$(grep -c "attached" "$WORK/strace-attach.txt" 2>/dev/null || true)" -ge "$(ls "/proc/$2/task" | wc -l)" ] && break
            sleep 0.1
        done
        taskset -c 0 wrk -t1 -c32 -d5s "http://127.0.0.1:$3/comments" >"$wrk_out"
        kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
        REQUESTS[$1]=$(awk '/requests in/ { print $1 }' "$wrk_out")
        SYSCALLS[$1]=$out
        echo "$1: ${REQUESTS[$1]} requests traced"
    }
    start_nginx plain-proxy.conf; trace "nginx proxy" "$NGINX_WORKER" "$NGINX_PORT"; stop_nginx
    start_tapcompare 0 "$CANDIDATE"; trace "tapcompare 0" "$TAP_PID" "$TAP_PORT"; stop_tapcompare
    start_tapcompare 1.0 "$CANDIDATE"; trace "tapcompare 1.0" "$TAP_PID" "$TAP_PORT"; stop_tapcompare
    {
        echo "# Proxy benchmark: system calls per request"
        echo
        stamp
        echo "\`SCENARIOS=syscalls bench/proxy.sh\`: \`strace -c -f\` attached to every thread of the proxy (nginx: its one worker) while"
        echo "wrk sends GET /comments over 32 keep-alive connections for 5 s; each count is divided by the requests wrk completed."
        echo "Calls below 0.01 per request in every column are left out of the rows, not the totals."
        echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg) (counts per request barely depend on it; epoll_wait does)."
        echo
        echo "| system call | nginx proxy (${REQUESTS[nginx proxy]} requests) | tapcompare 0 (${REQUESTS[tapcompare 0]} requests) | tapcompare 1.0 (${REQUESTS[tapcompare 1.0]} requests) |"
        echo "|---|---:|---:|---:|"
        python3 "$ROOT/bench/clients/strace_per_request.py" \
            "${SYSCALLS[nginx proxy]}" "${REQUESTS[nginx proxy]}" "${SYSCALLS[tapcompare 0]}" "${REQUESTS[tapcompare 0]}" \
            "${SYSCALLS[tapcompare 1.0]}" "${REQUESTS[tapcompare 1.0]}"
    } > "$ROOT/bench/results/proxy-syscalls.md"
    echo; cat "$ROOT/bench/results/proxy-syscalls.md"
fi

if runs idle; then
    # Memory per connection: resident memory after a warm-up, then with IDLE_CONNECTIONS clients connected and
    # idle, each after one request (so every connection has its whole pipeline, as in production).
    printf 'listener: { idle_timeout: 600s }\n' > "$WORK/idle.yml"
    declare -A RSS_BEFORE RSS_AFTER
    rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
    hold_idle() { # name, pid, port
        local client
        taskset -c 0 wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$3/comments" >/dev/null
        RSS_BEFORE[$1]=$(rss_kib "$2")
        rm -f "$WORK/idle-ready" "$WORK/idle-stdin"
        mkfifo "$WORK/idle-stdin"
        taskset -c 0 python3 "$ROOT/bench/clients/idle_connections.py" 127.0.0.1 "$3" /comments "$IDLE_CONNECTIONS" \
            "$WORK/idle-ready" < "$WORK/idle-stdin" &
        client=$!
        exec 9>"$WORK/idle-stdin"  # the clients stay connected until this is closed
        while [ ! -s "$WORK/idle-ready" ]; do
            kill -0 "$client" 2>/dev/null || { echo "the idle clients failed (see above)" >&2; return 1; }
            sleep 0.2
        done
        RSS_AFTER[$1]=$(rss_kib "$2")
        exec 9>&-
        wait "$client" || true
        echo "$1: RSS ${RSS_BEFORE[$1]} KiB before, ${RSS_AFTER[$1]} KiB with $IDLE_CONNECTIONS idle connections"
    }
    start_nginx plain-proxy.conf; hold_idle "nginx proxy" "$NGINX_WORKER" "$NGINX_PORT"; stop_nginx
    start_tapcompare 0 "$CANDIDATE" "" "" --config "$WORK/idle.yml"; hold_idle "tapcompare 0" "$TAP_PID" "$TAP_PORT"; stop_tapcompare
    start_tapcompare 1.0 "$CANDIDATE" "" "" --config "$WORK/idle.yml"; hold_idle "tapcompare 1.0" "$TAP_PID" "$TAP_PORT"; stop_tapcompare
    {
        echo "# Proxy benchmark: memory per idle connection"
        echo
        stamp
        echo "\`IDLE_CONNECTIONS=$IDLE_CONNECTIONS SCENARIOS=idle bench/proxy.sh\`: resident memory (VmRSS) of the proxy process (nginx: its one worker)"
        echo "after a ${WARMUP} s wrk warm-up, then with $IDLE_CONNECTIONS keep-alive clients connected and idle, each after one GET /comments"
        echo "(bench/clients/idle_connections.py). tapcompare ran with \`listener.idle_timeout: 600s\`, so none is closed while measured."
        echo "nginx allocates its connection table for all of worker_connections (20,000) when it starts, so that part of a"
        echo "connection's cost is in its \"before\" figure; its per-connection figure is what an idle connection adds beyond it."
        echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)."
        echo
        echo "| proxy | RSS before (MiB) | RSS with $IDLE_CONNECTIONS idle (MiB) | per connection (KiB) |"
        echo "|---|---:|---:|---:|"
        for n in "nginx proxy" "tapcompare 0" "tapcompare 1.0"; do
            awk -v n="$n" -v b="${RSS_BEFORE[$n]}" -v a="${RSS_AFTER[$n]}" -v c="$IDLE_CONNECTIONS" \
                'BEGIN { printf "| %s | %.1f | %.1f | %.1f |\n", n, b / 1024, a / 1024, (a - b) / c }'
        done
    } > "$ROOT/bench/results/proxy-idle.md"
    echo; cat "$ROOT/bench/results/proxy-idle.md"
fi
