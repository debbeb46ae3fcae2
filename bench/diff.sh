#!/usr/bin/env bash
# Diff engine benchmark: normalize+diff throughput on comment trees of 1 KB, 64 KB and 1 MB, beside Foundation
# JSONSerialization parse-only (same run, same bytes), Python's orjson parse-only (the bar of issue 17) and Python's
# deepdiff (on the same pairs).
# Writes the table to bench/results/diff.md.
#
#   bench/diff.sh                 # build release, run everything
#   SECONDS_PER_CASE=2 bench/diff.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_CASE="${SECONDS_PER_CASE:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== building (release)" >&2
swift build -c release --scratch-path .build-release --product tapcompare-bench >&2

echo "== swift: tapcompare diff engine and Foundation JSONSerialization" >&2
.build-release/release/tapcompare-bench diff --fixtures "$WORK/pairs" --seconds "$SECONDS_PER_CASE" | tee "$WORK/swift.tsv" >&2

# deepdiff and orjson from PyPI, in a private virtual environment unless both are already importable.
PY=python3
if ! "$PY" -c 'import deepdiff, orjson' 2>/dev/null; then
  VENV="${TAPCOMPARE_BENCH_VENV:-${TMPDIR:-/tmp}/tapcompare-bench-venv}"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -c 'import deepdiff, orjson' 2>/dev/null || "$VENV/bin/pip" install -q deepdiff orjson >&2
  PY="$VENV/bin/python"
fi

echo "== python: orjson parse-only and deepdiff on the same pairs" >&2
"$PY" - "$WORK/pairs" "$WORK/swift.tsv" "$SECONDS_PER_CASE" > bench/results/diff.md <<'PYEOF'
import json, os, platform, subprocess, sys, time
import deepdiff, orjson

pairs, swift_tsv, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [line.rstrip("\n").split("\t") for line in open(swift_tsv)][1:]

def mb_s(legacy, once, batch):
    # CPU time of this (single-threaded) process, like the Swift figures: per core, whatever else runs.
    # `batch` calls between clock reads, so reading the clock does not weigh on the fast cases.
    once()
    n, start = 0, time.process_time()
    while True:
        for _ in range(batch): once()
        n += batch
        elapsed = time.process_time() - start
        if elapsed >= seconds: break
    return len(legacy) * n / elapsed / 1e6

def deepdiff_mb_s(legacy, candidate):
    # Same work as the Swift engine: parse both bodies, then diff (ignore_order=False: arrays are ordered).
    return mb_s(legacy, lambda: deepdiff.DeepDiff(json.loads(legacy), json.loads(candidate)), 1)

def orjson_mb_s(legacy, candidate):
    # Parse only, both bodies: the floor any parse-then-diff engine in Python starts from.
    loads = orjson.loads
    def once():
        loads(legacy); loads(candidate)
    return mb_s(legacy, once, max(1, 65536 // len(legacy)))

cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass

print("# Diff engine benchmark\n")
print(f"Measured by `bench/diff.sh` on {cpu}, {os.cpu_count()} cores, one core per measurement;")
print(f"Python {platform.python_version()}, orjson {orjson.__version__}, deepdiff {deepdiff.__version__}; load average {open('/proc/loadavg').read().split()[0]} at the end.\n")
print("Throughput = legacy body bytes / CPU time of one whole comparison (both bodies parsed and normalized, then diffed),")
print("in MB/s (10^6 bytes) per core: the measuring thread's CPU time, so other work on a shared machine does not count.")
print("Foundation = `JSONSerialization.jsonObject` on both bodies, parse only (no diff).")
print("orjson = `orjson.loads(legacy); orjson.loads(candidate)`, parse only (no diff), the same bytes: issue 17's bar is")
print("tapcompare / orjson ≥ 1.0 for the 64 KB and 1 MB `1pct-changed` pairs and ≥ 0.7 for the 1 KB pair.")
print("deepdiff = `DeepDiff(json.loads(legacy), json.loads(candidate))` on the same bytes. `identical` short-circuits on")
print("equal bytes by design; `equal-reordered` has every object's keys reversed, so it parses and walks everything.\n")
print("The `+10rules` case applies ten diff rules (ignore ×3, equivalent ×3, tolerance, unordered by id, replace,")
print("status_equivalent); deepdiff runs without any on the same pair. Wall-clock tapcompare MB/s is shown for reference.\n")
print("| size | case | bytes | fields changed | discrepancies | tapcompare MB/s | Foundation parse-only MB/s | orjson parse-only MB/s | deepdiff MB/s | tapcompare / Foundation | tapcompare / orjson | tapcompare / deepdiff | tapcompare wall MB/s |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for size, case, nbytes, changed, disc, swift, foundation, wall in rows:
    legacy = open(os.path.join(pairs, f"{size}-{case}-legacy.json"), "rb").read()
    candidate = open(os.path.join(pairs, f"{size}-{case}-candidate.json"), "rb").read()
    oj = orjson_mb_s(legacy, candidate)
    dd = deepdiff_mb_s(legacy, candidate)
    s, f = float(swift), float(foundation)
    print(f"| {size} | {case} | {nbytes} | {changed} | {disc} | {s:.1f} | {f:.1f} | {oj:.1f} | {dd:.2f} | {s/f:.1f}× | {s/oj:.2f}× | {s/dd:.0f}× | {float(wall):.1f} |")
    sys.stdout.flush()
PYEOF
cat bench/results/diff.md
