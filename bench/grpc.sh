#!/usr/bin/env bash
# Benchmarks TapCompare in front of a gRPC service over HTTP/2 (issue 18), with h2load: requests/s and latency of
# legacy direct, TapCompare at sample rate 0 (a plain HTTP/2 reverse proxy) and at 1.0 (every call mirrored to the
# candidate, both answers decoded with the descriptor set and compared field by field), in one run.
#
#   bench/grpc.sh                                # 10 s per measurement
#   DURATION=20 SHAPES="32x1 8x16" bench/grpc.sh  # connections x concurrent streams per connection
#   KEEP_WORK=1 bench/grpc.sh                    # keep the scratch directory (configurations, tapcompare.log)
#
# Legacy and candidate are one nginx speaking h2c (bench/nginx/grpc-upstreams.conf) that answers the comment API of
# fixtures/grpc/comments.proto with fixed bodies (bench/clients/grpc_bodies.py): GetComment, one Comment message
# (unary), and ListComments, 20 Comment messages (server streaming), each with the grpc-status trailer. Both
# upstreams answer the same bytes, so at sample rate 1.0 every comparison is a full decode and diff that finds
# nothing. h2load and nginx share core 0; tapcompare runs one event loop pinned to core 1 (as bench/proxy.sh).
# Latency percentiles come from h2load's per-request log. Results: bench/results/grpc.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SHAPES=${SHAPES:-32x1 8x16}
CALLS=${CALLS:-get list}
LEGACY=18211 CANDIDATE=18212 TAP_PORT=18220 ADMIN_PORT=18221

if ! command -v h2load >/dev/null || ! command -v nginx >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light nghttp2-client
fi

WORK=$(mktemp -d /tmp/tapcompare-grpc-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/grpc" "$WORK/tmp"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/grpc-upstreams.pid" ] && kill "$(cat "$WORK/grpc-upstreams.pid")" 2>/dev/null || true
    sleep 0.3
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK (logs: tapcompare.log)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

python3 "$ROOT/bench/clients/grpc_bodies.py" "$WORK/grpc"
chmod 644 "$WORK"/grpc/*
declare -A PATHS=([get]=/tapcompare.demo.Comments/GetComment [list]=/tapcompare.demo.Comments/ListComments)
declare -A RESPONSE_BYTES=([get]=$(stat -c %s "$WORK/grpc/get-response.bin") [list]=$(stat -c %s "$WORK/grpc/list-response.bin"))

echo "== building the release binary"
# SCRATCH_PATH: another build folder (e.g. .build-release, which bench/diff.sh also uses) instead of .build.
SCRATCH=(--scratch-path "${SCRATCH_PATH:-.build}")
(cd "$ROOT" && swift build -c release "${SCRATCH[@]}" --product tapcompare)
BIN=$(cd "$ROOT" && swift build -c release "${SCRATCH[@]}" --show-bin-path)

sed -e "s#@WORK@#$WORK#g" -e "s#@LEGACY@#$LEGACY#g" -e "s#@CANDIDATE@#$CANDIDATE#g" \
    "$ROOT/bench/nginx/grpc-upstreams.conf" > "$WORK/grpc-upstreams.conf"
taskset -c 0 nginx -p "$WORK" -c "$WORK/grpc-upstreams.conf"

cat > "$WORK/grpc.yml" <<YAML
grpc:
  descriptor_set: $ROOT/fixtures/grpc/comments.pb
  read_methods: ["*/Get*", "*/List*"]
YAML

# h2load's one-shot call: fails the bench unless the call succeeds with grpc-status 0.
check_call() { # port, call
    local out
    out=$(h2load -n 1 -c 1 -d "$WORK/grpc/$2-request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$1${PATHS[$2]}" 2>&1)
    grep -q "1 succeeded" <<<"$out" || { echo "$2 on port $1 failed: $out" >&2; return 1; }
}
wait_ready() { # port
    for _ in $(seq 1 100); do check_call "$1" get 2>/dev/null && return 0; sleep 0.1; done
    echo "port $1 did not answer a gRPC call" >&2; return 1
}
start_tapcompare() { # sample rate
    if (exec 3<>"/dev/tcp/127.0.0.1/$TAP_PORT") 2>/dev/null; then echo "port $TAP_PORT is taken by another process" >&2; exit 1; fi
    (cd "$WORK" && exec taskset -c 1 "$BIN/tapcompare" serve --config "$WORK/grpc.yml" --listen "127.0.0.1:$TAP_PORT" \
        --legacy "h2c://127.0.0.1:$LEGACY" --candidate "h2c://127.0.0.1:$CANDIDATE" --sample-rate "$1" \
        --admin "127.0.0.1:$ADMIN_PORT" --ledger "sqlite:$WORK/ledger-$1.sqlite" >>"$WORK/tapcompare.log" 2>&1) &
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    wait_ready "$TAP_PORT"
    # Another process answering on the port would be measured instead (serve exits when it cannot bind).
    kill -0 "$TAP_PID" 2>/dev/null || { echo "tapcompare serve exited at start (port $TAP_PORT taken?): see $WORK/tapcompare.log" >&2; exit 1; }
}
stop_tapcompare() { kill "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; }
metric() { # a counter's name: the sum over its label sets
    curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.0f", s }'
}

declare -A RPS P50 P99 ERRORS
measure() { # name, port, call, shape (CxM)
    local key="$1|$3|$4" c=${4%x*} m=${4#*x} url="http://127.0.0.1:$2${PATHS[$3]}"
    local out="$WORK/measure-$(echo "$key" | tr -c 'A-Za-z0-9.' '_')" args
    args=(-c "$c" -m "$m" -t 1 -d "$WORK/grpc/$3-request.bin" -H 'content-type: application/grpc' -H 'te: trailers')
    taskset -c 0 h2load "${args[@]}" -D "$DURATION" --warm-up-time="$WARMUP" --log-file="$out.log" "$url" >"$out.txt" 2>&1
    RPS[$key]=$(awk '/^finished in/ { gsub(",", "", $4); printf "%.0f", $4 }' "$out.txt")
    # Column 3 of the log: microseconds from the request's start to the end of its response (trailers included).
    local p50 p99
    read -r p50 p99 < <(awk -F'\t' '{ print $3 }' "$out.log" | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
        printf "%.2f %.2f\n", v[int(NR * 0.50) + (NR * 0.50 > int(NR * 0.50))] / 1000, v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))] / 1000 }')
    P50[$key]=$p50 P99[$key]=$p99
    # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
    ERRORS[$key]=$(awk '/^requests:/ { if ($10 + $12 + $14 > 0) printf "%s failed, %s errored, %s timeout", $10, $12, $14 }
        /^status codes:/ { if ($5 + $7 + $9 > 0) printf " non-2xx: %s %s %s", $5, $7, $9 }' "$out.txt")
    printf "%-20s %-5s %-6s %10s req/s  p50 %8s ms  p99 %8s ms  %s\n" "$1" "$3" "$4" "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" "${ERRORS[$key]}"
}
measure_all() { # name, port
    for call in $CALLS; do for shape in $SHAPES; do measure "$1" "$2" "$call" "$shape"; done; done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && a != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
wait_ready "$LEGACY"
check_call "$LEGACY" list
echo "== measuring ($DURATION s per measurement; shapes: $SHAPES; load average $LOAD_BEFORE)"
measure_all "legacy direct" "$LEGACY"
start_tapcompare 0; measure_all "tapcompare 0" "$TAP_PORT"; stop_tapcompare
start_tapcompare 1.0; measure_all "tapcompare 1.0" "$TAP_PORT"
COMPARED=$(metric tapcompare_comparisons_total)
DISCREPANT=$(metric tapcompare_discrepancies_total)
SKIPPED=$(metric tapcompare_skipped_total)
stop_tapcompare

{
    echo "# gRPC benchmark"
    echo
    dirty=""
    git -C "$ROOT" diff --quiet HEAD -- Sources || dirty=" with uncommitted changes in Sources/"
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), commit $(git -C "$ROOT" rev-parse --short HEAD)$dirty."
    echo "\`DURATION=$DURATION SHAPES=\"$SHAPES\" bench/grpc.sh\`: h2load (1 thread, ${DURATION} s after ${WARMUP} s warm-up) and the"
    echo "legacy/candidate nginx (h2c) pinned to core 0; \`tapcompare serve\` pinned to core 1, h2c on both sides."
    echo "Shape CxM = C connections with M concurrent streams each. Calls: get = GetComment, unary, ${RESPONSE_BYTES[get]}-byte"
    echo "answer (one Comment); list = ListComments, server streaming, 20 Comment messages, ${RESPONSE_BYTES[list]} bytes."
    echo "At sample rate 1.0 every call is mirrored to the candidate and both answers are decoded with"
    echo "fixtures/grpc/comments.pb and compared (grpc-status, grpc-message, every message field by field): in the"
    echo "1.0 run $COMPARED comparisons were made, $DISCREPANT discrepancies found, $SKIPPED skipped."
    echo "Load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| scenario | call | shape | requests/s | p50 (ms) | p99 (ms) | errors |"
    echo "|---|---|---|---:|---:|---:|---|"
    for name in "legacy direct" "tapcompare 0" "tapcompare 1.0"; do
        for call in $CALLS; do for shape in $SHAPES; do
            key="$name|$call|$shape"
            echo "| $name | $call | $shape | ${RPS[$key]} | ${P50[$key]} | ${P99[$key]} | ${ERRORS[$key]:-} |"
        done; done
    done
    echo
    echo "Ratios against legacy direct, same run:"
    echo
    echo "| call | shape | tapcompare 0 req/s | tapcompare 1.0 req/s | tapcompare 0 p99 | tapcompare 1.0 p99 |"
    echo "|---|---|---:|---:|---:|---:|"
    for call in $CALLS; do for shape in $SHAPES; do
        d="legacy direct|$call|$shape" z="tapcompare 0|$call|$shape" o="tapcompare 1.0|$call|$shape"
        echo "| $call | $shape | $(ratio "${RPS[$z]}" "${RPS[$d]}")× | $(ratio "${RPS[$o]}" "${RPS[$d]}")× | $(ratio "${P99[$z]}" "${P99[$d]}")× | $(ratio "${P99[$o]}" "${P99[$d]}")× |"
    done; done
} > "$ROOT/bench/results/grpc.md"
echo; cat "$ROOT/bench/results/grpc.md"
