#!/usr/bin/env bash
# Soak: steady load with every request mirrored, watching the proxy's memory and open file descriptors.
#
#   bench/soak.sh                      # 10 minutes at 16 connections
#   DURATION=600 CONNECTIONS=16 WARMUP=180 WINDOW=60 RELEASE_INTERVAL=10s bench/soak.sh
#
# Legacy and candidate are nginx (bench/nginx/upstreams.conf, a 2 KB JSON body). tapcompare serve runs at sample
# rate 1.0 with the embedded SQLite ledger, so every request goes through mirroring, the diff engine and the
# ledger writer. Every 10 s the script samples the proxy's RSS (/proc/PID/status) and open descriptors
# (/proc/PID/fd), and the live heap from tapcompare_heap_in_use_bytes.
#
# Memory: RSS is a saw-tooth by design. The allocator keeps freed pages until the proxy hands them back
# (memory_release_interval, RELEASE_INTERVAL here; the tool's default when unset), so one sample is mostly a
# reading of where in that cycle it fell. Growth is therefore measured between windows of WINDOW seconds that
# each span whole release cycles: the mean RSS of the first window after WARMUP against the mean RSS of the last
# window. The run passes when that is under 10%. The single-sample figures (first sample after warm-up, last
# sample, peak) are reported beside it.
# Descriptors: the run passes when the most open in the last third of the run is no more than the most seen
# before it (they jitter by one or two under load; a leak keeps adding). Results: bench/results/soak.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-600}
CONNECTIONS=${CONNECTIONS:-16}
WARMUP=${WARMUP:-180}
WINDOW=${WINDOW:-60}
RELEASE_INTERVAL=${RELEASE_INTERVAL:-}
LEGACY=18181 CANDIDATE=18182 SLOW=18183 TAP_PORT=18190 ADMIN_PORT=18191

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light wrk
fi

WORK=$(mktemp -d /tmp/tapcompare-soak.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/tmp"
TAP_PID=""
cleanup() {
    [ -n "$TAP_PID" ] && kill "$TAP_PID" 2>/dev/null || true
    for pidfile in "$WORK"/*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 - "$WORK/www/item.json" <<'PY'
import json, sys
doc = {"id": 8812, "author": {"id": 17, "name": "Ada"}, "text": "", "tags": ["a", "b", "c"], "replies": []}
doc["text"] = "x" * (2048 - len(json.dumps(doc, separators=(",", ":"))))
open(sys.argv[1], "w").write(json.dumps(doc, separators=(",", ":")))
PY
chmod 644 "$WORK/www/item.json"
# The soak needs no TLS upstream: bench/proxy.sh's https server block (and its certificates) is left out.
sed -e "s#@WORK@#$WORK#g" -e "s#@LEGACY@#$LEGACY#g" -e "s#@CANDIDATE@#$CANDIDATE#g" -e "s#@SLOW@#$SLOW#g" \
    -e '/# Legacy over TLS/,/^    }/d' "$ROOT/bench/nginx/upstreams.conf" > "$WORK/upstreams.conf"
nginx -p "$WORK" -c "$WORK/upstreams.conf"

echo "== building the release binary"
(cd "$ROOT" && swift build -c release --product tapcompare >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)

# memory_release_interval has no flag: when it is set, it comes from a file; everything else is on the command line.
config=()
if [ -n "$RELEASE_INTERVAL" ]; then
    printf 'memory_release_interval: %s\n' "$RELEASE_INTERVAL" >"$WORK/soak.yml"
    config=(--config "$WORK/soak.yml")
fi
(cd "$WORK" && exec "$BIN/tapcompare" serve "${config[@]}" --listen "127.0.0.1:$TAP_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
    --legacy "http://127.0.0.1:$LEGACY" --candidate "http://127.0.0.1:$CANDIDATE" --sample-rate 1 \
    --ledger "sqlite:$WORK/ledger.sqlite" >"$WORK/tapcompare.log" 2>&1) &
TAP_PID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$TAP_PORT/item" && break; sleep 0.1; done

echo "== ${DURATION}s at $CONNECTIONS connections, every request mirrored (pid $TAP_PID)"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$TAP_PORT/item" >"$WORK/wrk.txt" &
WRK_PID=$!
samples="$WORK/samples.tsv"
printf 'seconds\trss_kib\tfds\tledger_queue\theap_kib\tanon_kib\tfile_kib\tshmem_kib\n' >"$samples"
start=$(date +%s)
while kill -0 "$WRK_PID" 2>/dev/null; do
    now=$(( $(date +%s) - start ))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$TAP_PID/status")
    fds=$(ls "/proc/$TAP_PID/fd" | wc -l)
    # Records waiting for the ledger writer: memory held by a writer that has fallen behind, not leaked.
    scrape=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics")
    queue=$(awk '/^tapcompare_ledger_queue_depth / {print int($2)}' <<<"$scrape")
    # The live heap (bytes in allocations not yet freed), as of the last memory release (every 30 s).
    heap=$(awk '/^tapcompare_heap_in_use_bytes / {print int($2 / 1024)}' <<<"$scrape")
    # RSS split: heap and other private memory, mapped files, shared memory (SQLite's WAL index is mmapped).
    split=$(awk '/RssAnon|RssFile|RssShmem/ {printf "\t%s", $2}' "/proc/$TAP_PID/status")
    printf '%s\t%s\t%s\t%s\t%s%s\n' "$now" "$rss" "$fds" "${queue:-0}" "${heap:-0}" "$split" >>"$samples"
    sleep 10
done
wait "$WRK_PID" || true
sleep 1
metrics=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics")

mkdir -p "$ROOT/bench/results"
python3 - "$samples" "$WORK/wrk.txt" "$WARMUP" "$DURATION" "$CONNECTIONS" "$ROOT/bench/results/soak.md" "$WINDOW" "${RELEASE_INTERVAL:-the default}" <<PY
import sys, re
samples, wrk, warmup, duration, conns, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
window, interval = int(sys.argv[7]), sys.argv[8]
rows = [tuple(map(int, l.split()[:5])) for l in open(samples).read().splitlines()[1:] if l.strip()]
after = [r for r in rows if r[0] >= warmup] or rows
base, last = after[0], rows[-1]
peak_rss = max(r[1] for r in after)
single_growth = (last[1] - base[1]) / base[1] * 100
first_window = [r for r in after if r[0] < after[0][0] + window]
last_window = [r for r in after if r[0] > last[0] - window]
mean = lambda rs: sum(r[1] for r in rs) / len(rs)
growth = (mean(last_window) - mean(first_window)) / mean(first_window) * 100
# Descriptors jitter by one or two under load (a connection being replaced, the admin scrape itself), so two
# single samples do not show growth; a leak does: it keeps adding, so the last third of the run would reach a
# count above anything seen before it (warm-up included).
third = max(1, len(after) // 3)
late = after[-third:]
early_fd_max = max(r[2] for r in rows if r[0] < late[0][0])
late_fd_max = max(r[2] for r in late)
fd_ok = late_fd_max <= early_fd_max
w = open(wrk).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", w).group(1)
total = re.search(r"(\d+) requests in", w).group(1)
p99 = re.search(r"99%\s+(\S+)", w).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", w)
metrics = """$metrics"""
def metric(name):
    return sum(float(m) for m in re.findall(r"^" + name + r"(?:\{[^}]*\})? ([\d.e+]+)$", metrics, re.M))
ok = growth < 10 and fd_ok
lines = [
    "# Soak: every request mirrored",
    "",
    f"{duration} s at {conns} connections (wrk), tapcompare serve at sample rate 1.0, SQLite ledger. Warm-up {warmup} s.",
    "",
    "| measure | value |", "|---|---|",
    f"| requests | {total} ({rps}/s, p99 {p99}, non-2xx {errors.group(1) if errors else 0}) |",
    f"| mirrored | {metric('tapcompare_mirrored_total'):.0f} |",
    f"| ledger rows written | {metric('tapcompare_ledger_written_total'):.0f} |",
    f"| skipped (all reasons) | {metric('tapcompare_skipped_total'):.0f} |",
    f"| mean RSS, first {window} s after warm-up ({len(first_window)} samples) | {mean(first_window)/1024:.1f} MiB |",
    f"| mean RSS, last {window} s ({len(last_window)} samples) | {mean(last_window)/1024:.1f} MiB |",
    f"| RSS growth after warm-up, window means | {growth:+.1f}% (bar: < 10%) |",
    f"| RSS first sample after warm-up / last sample / peak | {base[1]/1024:.1f} / {last[1]/1024:.1f} / {peak_rss/1024:.1f} MiB ({single_growth:+.1f}% first to last) |",
    f"| live heap after warm-up / at the end / peak (malloc in use) | {base[4]/1024:.1f} / {last[4]/1024:.1f} / {max(r[4] for r in after)/1024:.1f} MiB |",
    f"| memory released to the OS (malloc_trim, memory_release_interval {interval}) | {metric('tapcompare_memory_released_bytes_total')/1048576:.1f} MiB in {metric('tapcompare_memory_release_seconds_count'):.0f} releases, {metric('tapcompare_memory_release_seconds_sum')*1000/max(1, metric('tapcompare_memory_release_seconds_count')):.2f} ms each on average |",
    f"| open descriptors after warm-up / at the end (range over the run) | {base[2]} / {last[2]} ({min(r[2] for r in rows)}–{max(r[2] for r in rows)}) |",
    f"| most descriptors before the last third / in it (bar: not higher) | {early_fd_max} / {late_fd_max} |",
    f"| verdict | {'PASS' if ok else 'FAIL'} |",
    "",
    f"Load average at the end: {open('/proc/loadavg').read().split()[0:3]} (2 cores).",
    "",
    "Samples (seconds, RSS KiB, descriptors, records queued for the ledger writer, live heap KiB, RssAnon / RssFile / RssShmem KiB):", "", "\`\`\`", open(samples).read().strip(), "\`\`\`",
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:20]))
sys.exit(0 if ok else 1)
PY
