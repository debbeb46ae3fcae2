#!/usr/bin/env bash
# Replay benchmark: 100,000 captured exchanges against a local candidate, with the diff engine and the rules.
#
#   bench/replay.sh [COUNT] [CONCURRENCY]
#   bench/replay.sh load [RATE] [DURATION]      (what bench/replay-load.sh runs)
#
# Builds release binaries in .build-release, starts the demo services (`tapcompare demo --services-only
# --latency-scale 0`: they answer at once, so the figure is the replayer's), runs `tapcompare-bench replay`
# against the demo legacy (every exchange matches) and the demo candidate (regressions: bodies diffed field by
# field), and writes the output to bench/results/replay-<UTC time>.txt. The bar: at least 5,000 requests/s.
#
# With `load`: replay as load with the `tapcompare replay` command itself. The fixture capture
# (fixtures/comments.capture.jsonl, 159 reads over 8.5 recorded minutes) is looped for DURATION (default 30s) at
# the recorded pace (--speed 1), ten times it (--speed 10) and at RATE requests/s (default 500), against the demo
# legacy; each run prints its achieved against its target rate, the late starts, the schedule lag (the
# schedule's error) and the latencies, service time and corrected for coordinated omission. Output in
# bench/results/replay-load-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=throughput
if [ "${1:-}" = load ]; then
    MODE=load
    shift
    RATE="${1:-500}"
    DURATION="${2:-30s}"
else
    COUNT="${1:-100000}"
    CONCURRENCY="${2:-64}"
fi

# TAPCOMPARE_BIN_DIR=.build/debug uses binaries already built (a quick smoke run of the script, not a figure).
if [ -n "${TAPCOMPARE_BIN_DIR:-}" ]; then
    BIN="$TAPCOMPARE_BIN_DIR"
else
    swift build -c release --scratch-path .build-release --product tapcompare >&2
    [ "$MODE" = load ] || swift build -c release --scratch-path .build-release --product tapcompare-bench >&2
    BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)"
fi

LOG="$(mktemp)"
"$BIN/tapcompare" demo --services-only --latency-scale 0 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
    grep -q '^candidate ' "$LOG" && break
    sleep 0.1
done
CANDIDATE="$(awk '/^candidate /{print $2}' "$LOG")"
LEGACY="$(awk '/^legacy /{print $2}' "$LOG")"
[ -n "$CANDIDATE" ] || { echo "the demo candidate did not start:" >&2; cat "$LOG" >&2; exit 1; }

mkdir -p bench/results
if [ "$MODE" = load ]; then
    OUT="bench/results/replay-load-$(date -u +%Y%m%dT%H%M%SZ).txt"
    WORK="$(mktemp -d)"
    trap 'kill $SERVER 2>/dev/null || true; rm -rf "$LOG" "$WORK"' EXIT
    {
        echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u)"
        for PACE in "--speed 1" "--speed 10" "--rate $RATE"; do
            echo "## tapcompare replay fixtures/comments.capture.jsonl --candidate <demo legacy> $PACE --duration $DURATION"
            # Exit 1 (mismatches) cannot happen against legacy itself; anything but 0 is shown, not fatal.
            # shellcheck disable=SC2086
            "$BIN/tapcompare" replay fixtures/comments.capture.jsonl --candidate "$LEGACY" $PACE --duration "$DURATION" \
                --quiet --ledger "sqlite:$WORK/ledger.sqlite" --rules diff-rules | sed -n '/^latency:/,/^load:/p' || true
        done
    } | tee "$OUT"
    exit 0
fi
OUT="bench/results/replay-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u)"
    # 1. A candidate that answers exactly like legacy: identical bodies, the engine's fast path.
    echo "## tapcompare-bench replay --count $COUNT --concurrency $CONCURRENCY against the demo legacy (every exchange matches)"
    "$BIN/tapcompare-bench" replay --candidate "$LEGACY" --count "$COUNT" --concurrency "$CONCURRENCY"
    # 2. The demo candidate with its regressions: most bodies differ and are diffed field by field.
    echo "## tapcompare-bench replay --count $COUNT --concurrency $CONCURRENCY against the demo candidate (regressions)"
    "$BIN/tapcompare-bench" replay --candidate "$CANDIDATE" --count "$COUNT" --concurrency "$CONCURRENCY"
} | tee "$OUT"
